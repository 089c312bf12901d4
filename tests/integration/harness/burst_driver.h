// Publishes a burst of timestamped events on one channel of a FakeOrigin, open loop at a fixed
// rate, and measures the delivery latency (origin publish -> the kernel's receive time of the
// bytes at the subscriber's socket) of every event at every "healthy" subscriber, checking that
// each of them gets every event of the burst, in order, exactly once.
//
// The event data is "ts=<steady_clock ns at publish>;seq=<k>;" plus padding, id "<channel>-<k>".
// The origin runs in this process, so publish and arrival times share one clock. Arrival is the
// kernel's timestamp (SseEvent::at), not the time this thread got round to reading: the work a
// test does in this thread (opening a flood, reading 503s) must not count as the gateway's.
//
// Single-threaded: owned by the test thread, which it drives with poll(2) over the healthy
// clients and `others` (hostile clients that still read, e.g. to see their 408/503). A client
// that is in neither list is not read: that is how a test makes a subscriber stop reading. The
// tick hook runs every loop turn (at least every 5 ms) so a test can act during the burst
// (drip bytes, open a flood, stop readers). The driver knows nothing of HTTP/1.1 beyond what
// SseClient parses; an HTTP/2 variant needs only a client with the same fd/onPoll/events view.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "harness/fake_origin.h"
#include "harness/sse_client.h"
#include "harness/wait.h"

namespace ssegate::integration {

struct BurstSpec {
  std::string channel;
  int events = 400;
  int rate_per_s = 200;
  size_t data_bytes = 1024;
  Millis timeout{30000};  // for the whole burst to reach every healthy subscriber
};

struct BurstResult {
  size_t samples = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  Millis elapsed{0};
  std::string problem;  // "" when every healthy subscriber got every event, in order, once
  std::string summary() const;
};

class BurstDriver {
 public:
  BurstDriver(FakeOrigin& origin, std::vector<SseClient*> healthy);

  // Hostile clients that are read (polled) during the run; the tick hook may change the list.
  std::vector<SseClient*> others;

  // Runs one burst; events the healthy clients had before it are ignored.
  BurstResult run(const BurstSpec& spec,
                  const std::function<void(Clock::time_point now)>& tick = nullptr);

 private:
  void pumpOnce(int timeout_ms);

  FakeOrigin& origin_;
  std::vector<SseClient*> healthy_;
};

// A percentile (0..100) of `values` (copied and sorted); 0 for an empty vector.
double percentile(std::vector<double> values, double pct);

}  // namespace ssegate::integration
