// Bounded polling on a condition: the only way integration tests wait. Never a fixed sleep.
//
// waitUntil() calls `done` every `step` until it returns true (-> true) or `timeout` passes
// (-> false, after one last check). Thread-agnostic; it owns nothing.
#pragma once

#include <chrono>
#include <thread>

namespace ssegate::integration {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

template <class Predicate>
bool waitUntil(Predicate done, Millis timeout, Millis step = Millis(5)) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(step);
  }
  return done();
}

inline Millis millisSince(Clock::time_point start) {
  return std::chrono::duration_cast<Millis>(Clock::now() - start);
}

}  // namespace ssegate::integration
