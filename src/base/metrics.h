// Metrics: the process-wide counters, gauges and the delivery-latency histogram of DESIGN A5,
// rendered in Prometheus text format by the admin endpoint.
//
// Every field is a relaxed atomic: any thread updates, the admin thread reads. Hot paths add
// once per batch (events x subscribers), not once per subscriber write. Per-upstream series are
// created on first use and never removed (names come from the configuration, so they are few).
// The instance is a process singleton: metrics().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ssegate {

enum class Reject : int {
  kBadRequest = 0,
  kNotFound,
  kMethod,
  kHeaderTimeout,
  kHeaderTooLarge,
  kMaxConnections,
  kMaxChannels,
  kDraining,
  kPipelined,
  kRequestBody,
  kOriginStatus,
  kUnauthorized,     // 401: no identity where required, or an invalid token
  kForbidden,        // 403: channel not in the token's channels, or the auth app said 403
  kUserCap,          // 429: limits.max_connections_per_user or the route's override
  kIpCap,            // 429: limits.max_connections_per_ip (anonymous subscribers)
  kAuthUnavailable,  // 503: auth_request timed out, failed or answered unexpectedly
  kTlsHandshake,     // a TLS handshake failed (not TLS, no common protocol or cipher, bad data)
  kTlsRecord,        // a record after the handshake failed (bad tag, bad type, bad size)
  kCount
};
const char* rejectName(Reject r);

class LatencyHistogram {
 public:
  static constexpr std::array<double, 13> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
  void observeMicros(int64_t us);
  void render(const std::string& name, std::string* out) const;
  using Counts = std::array<uint64_t, kBounds.size() + 1>;
  // Approximate quantile (upper bound of the bucket holding it), in seconds; 0 if empty.
  double quantile(double q) const { return quantileOf(counts(), q); }
  Counts counts() const;
  // The same over bucket counts, e.g. the difference of two counts() taken a second apart.
  static double quantileOf(const Counts& counts, double q);

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

struct UpstreamMetrics {
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connects_ok{0};
  std::atomic<uint64_t> connects_error{0};
  std::atomic<uint64_t> events_received{0};
};

class Metrics {
 public:
  // [protocol: 0 http1, 1 h2][tls: 0 false, 1 true]
  std::atomic<int64_t> downstream_connections[2][2] = {};
  std::atomic<int64_t> subscriptions{0};
  std::atomic<int64_t> channels{0};
  std::atomic<uint64_t> events_delivered{0};
  std::atomic<uint64_t> events_replayed{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> tls_handshakes{0};  // completed on downstream connections
  std::atomic<uint64_t> slow_subscriber_disconnects{0};
  std::atomic<uint64_t> oversized_events{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Reject::kCount)> rejected{};
  LatencyHistogram delivery_latency;

  UpstreamMetrics& upstream(const std::string& name);
  void reject(Reject r) {
    rejected[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  uint64_t eventsReceivedTotal() const;
  std::string renderPrometheus() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<UpstreamMetrics>> upstreams_;  // guarded by mu_
};

Metrics& metrics();

// Monotonic clock in microseconds (the clock EncodedEvent::receivedUs() uses).
int64_t monotonicMicros();

}  // namespace ssegate
