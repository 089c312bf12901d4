#include "base/metrics.h"

#include <chrono>
#include <cstdio>

namespace ssegate {

const char* rejectName(Reject r) {
  switch (r) {
    case Reject::kBadRequest:
      return "bad_request";
    case Reject::kNotFound:
      return "not_found";
    case Reject::kMethod:
      return "method_not_allowed";
    case Reject::kHeaderTimeout:
      return "header_timeout";
    case Reject::kHeaderTooLarge:
      return "header_too_large";
    case Reject::kMaxConnections:
      return "max_connections";
    case Reject::kMaxChannels:
      return "max_channels";
    case Reject::kDraining:
      return "draining";
    case Reject::kPipelined:
      return "pipelined";
    case Reject::kRequestBody:
      return "request_body";
    case Reject::kOriginStatus:
      return "origin_status";
    case Reject::kUnauthorized:
      return "unauthorized";
    case Reject::kForbidden:
      return "forbidden";
    case Reject::kUserCap:
      return "user_cap";
    case Reject::kIpCap:
      return "ip_cap";
    case Reject::kAuthUnavailable:
      return "auth_unavailable";
    case Reject::kTlsHandshake:
      return "tls_handshake";
    case Reject::kTlsRecord:
      return "tls_record";
    case Reject::kCount:
      break;
  }
  return "other";
}

int64_t monotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Metrics& metrics() {
  static Metrics* m = new Metrics();  // never destroyed: threads may still count at exit
  return *m;
}

void LatencyHistogram::observeMicros(int64_t us) {
  if (us < 0) us = 0;
  double s = static_cast<double>(us) / 1e6;
  size_t i = 0;
  while (i < kBounds.size() && s > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(us), std::memory_order_relaxed);
}

LatencyHistogram::Counts LatencyHistogram::counts() const {
  Counts c{};
  for (size_t i = 0; i < buckets_.size(); ++i) c[i] = buckets_[i].load(std::memory_order_relaxed);
  return c;
}

double LatencyHistogram::quantileOf(const Counts& counts, double q) {
  uint64_t total = 0;
  for (uint64_t n : counts) total += n;
  if (total == 0) return 0;
  uint64_t want = static_cast<uint64_t>(q * static_cast<double>(total));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen > want) return i < kBounds.size() ? kBounds[i] : kBounds.back() * 2;
  }
  return kBounds.back() * 2;
}

void LatencyHistogram::render(const std::string& name, std::string* out) const {
  uint64_t cumulative = 0;
  char line[256];
  for (size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < kBounds.size()) {
      snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name.c_str(), kBounds[i],
               static_cast<unsigned long long>(cumulative));
    } else {
      snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n", name.c_str(),
               static_cast<unsigned long long>(cumulative));
    }
    *out += line;
  }
  snprintf(line, sizeof line, "%s_sum %.6f\n%s_count %llu\n", name.c_str(),
           static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6, name.c_str(),
           static_cast<unsigned long long>(cumulative));
  *out += line;
}

UpstreamMetrics& Metrics::upstream(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = upstreams_[name];
  if (!slot) slot = std::make_unique<UpstreamMetrics>();
  return *slot;
}

uint64_t Metrics::eventsReceivedTotal() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [name, u] : upstreams_)
    total += u->events_received.load(std::memory_order_relaxed);
  return total;
}

namespace {
void header(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

template <typename T>
void sample(std::string* out, const std::string& series, T value) {
  *out += series;
  *out += ' ';
  *out += std::to_string(value);
  *out += '\n';
}

// Label values come from the configuration; escape per the exposition format anyway.
std::string escapeLabel(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}
}  // namespace

std::string Metrics::renderPrometheus() const {
  std::string out;
  out.reserve(4096);
  auto rd = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  header(&out, "ssegate_downstream_connections", "gauge", "Open downstream connections.");
  const char* protos[2] = {"http1", "h2"};
  for (int p = 0; p < 2; ++p) {
    for (int t = 0; t < 2; ++t) {
      sample(&out,
             std::string("ssegate_downstream_connections{protocol=\"") + protos[p] + "\",tls=\"" +
                 (t ? "true" : "false") + "\"}",
             rd(downstream_connections[p][t]));
    }
  }
  header(&out, "ssegate_subscriptions", "gauge", "Open SSE streams.");
  sample(&out, "ssegate_subscriptions", rd(subscriptions));
  header(&out, "ssegate_channels", "gauge", "Channels open (one upstream stream each).");
  sample(&out, "ssegate_channels", rd(channels));
  {
    std::lock_guard<std::mutex> lock(mu_);
    header(&out, "ssegate_upstream_connections", "gauge", "Open upstream connections.");
    for (const auto& [name, u] : upstreams_) {
      sample(&out, "ssegate_upstream_connections{upstream=\"" + escapeLabel(name) + "\"}",
             rd(u->connections));
    }
    header(&out, "ssegate_upstream_connects_total", "counter", "Upstream connection attempts.");
    for (const auto& [name, u] : upstreams_) {
      std::string l = "{upstream=\"" + escapeLabel(name) + "\",result=";
      sample(&out, "ssegate_upstream_connects_total" + l + "\"ok\"}", rd(u->connects_ok));
      sample(&out, "ssegate_upstream_connects_total" + l + "\"error\"}", rd(u->connects_error));
    }
    header(&out, "ssegate_events_received_total", "counter", "Events received from origins.");
    for (const auto& [name, u] : upstreams_) {
      sample(&out, "ssegate_events_received_total{upstream=\"" + escapeLabel(name) + "\"}",
             rd(u->events_received));
    }
  }
  header(&out, "ssegate_events_delivered_total", "counter", "Events queued to subscribers.");
  sample(&out, "ssegate_events_delivered_total", rd(events_delivered));
  header(&out, "ssegate_events_replayed_total", "counter", "Events replayed after Last-Event-ID.");
  sample(&out, "ssegate_events_replayed_total", rd(events_replayed));
  header(&out, "ssegate_bytes_sent_total", "counter", "Bytes written to subscribers.");
  sample(&out, "ssegate_bytes_sent_total", rd(bytes_sent));
  header(&out, "ssegate_tls_handshakes_total", "counter",
         "TLS handshakes completed on downstream connections (full or resumed).");
  sample(&out, "ssegate_tls_handshakes_total", rd(tls_handshakes));
  header(&out, "ssegate_rejected_total", "counter", "Requests or connections refused, by reason.");
  for (size_t i = 0; i < rejected.size(); ++i) {
    sample(&out,
           std::string("ssegate_rejected_total{reason=\"") + rejectName(static_cast<Reject>(i)) +
               "\"}",
           rd(rejected[i]));
  }
  header(&out, "ssegate_slow_subscriber_disconnects_total", "counter",
         "Subscribers shed for not reading.");
  sample(&out, "ssegate_slow_subscriber_disconnects_total", rd(slow_subscriber_disconnects));
  header(&out, "ssegate_oversized_events_total", "counter",
         "Origin events dropped for exceeding limits.max_event_bytes.");
  sample(&out, "ssegate_oversized_events_total", rd(oversized_events));
  header(&out, "ssegate_delivery_latency_seconds", "histogram",
         "Time from reading an event from the origin to writing it to subscribers' sockets.");
  delivery_latency.render("ssegate_delivery_latency_seconds", &out);
  return out;
}

}  // namespace ssegate
