// Backoff: the delay before the next upstream connection attempt.
//
// Exponential from a base delay, capped at max_delay, with "equal jitter" (half fixed, half
// random) so that many channels that lost the same origin do not reconnect in lock-step. The
// origin's `retry:` field, when it sent one, replaces the configured initial delay as the base,
// as an EventSource would. Owned by one HubChannel; pure logic, not thread-safe.
#pragma once

#include <cstdint>
#include <random>

namespace ssegate::upstream {

class Backoff {
 public:
  Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed)
      : initial_ms_(initial_ms), max_ms_(max_ms), rng_(seed) {}

  // Delay before the next attempt; each call doubles the next one until max.
  int64_t next();
  // A stream was established: start again from the base delay.
  void reset() { attempts_ = 0; }
  // The origin's retry: value (ms); takes the place of initial_ms.
  void setOriginRetry(int64_t ms) { origin_retry_ms_ = ms; }
  int attempts() const { return attempts_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int64_t origin_retry_ms_ = -1;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace ssegate::upstream
