// MemoryTrimmer: gives the heap's free pages back to the kernel (glibc malloc_trim) a few
// seconds after connections were accepted, so that gateway RSS follows the memory in use.
//
// Why: every TLS handshake allocates and frees tens of KiB (certificates, key shares, hashes)
// between the long-lived objects of the connections accepted around it. glibc keeps the freed
// holes resident (it only shrinks the top of a heap), so a burst of handshakes leaves RSS well
// above what the connections hold: 3,000 idle HTTP/1.1-over-TLS connections, 34 MiB of RSS
// growth, of which malloc_trim(0) returned 32 MiB. jemalloc and tcmalloc purge such pages on
// their own; with glibc it is this timer.
//
// When: checked on the main loop every `interval_ms` (1 s). Counting the connections accepted and
// the TLS handshakes completed since the last trim (both churn the heap; under a storm the
// handshakes finish seconds after the accepts), it trims when kSettled (16) or more came and none
// during the last interval (a burst is over: RSS follows 1-2 s after a reconnect storm); while
// they keep coming, when kBurst (256) or more came and the last trim is kBurstGapMs (5 s) old; or
// when any came and the last trim is kQuietMs (60 s) old. A quiet gateway is never touched; a
// steady trickle costs one trim a minute, or one per settled pause. Cost: one trim walks the free
// chunks of every arena, each under its lock, so a worker allocating meanwhile waits: 78 ms in all
// after 10,000 TLS connections came and went at 2,500/s (RSS 260 -> 87 MiB), a few ms on a steady
// heap; during a storm that is at most once per 5 s. Every trim is timed; a slow one is logged.
// Thread: the main loop. Owner: the Gateway.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>

namespace ssegate::app {

class MemoryTrimmer {
 public:
  // `accepted`: the process's running count of accepted connections; `handshakes`: of completed
  // TLS handshakes (may be null).
  MemoryTrimmer(uv_loop_t* loop, const std::atomic<uint64_t>* accepted, uint64_t interval_ms,
                const std::atomic<uint64_t>* handshakes = nullptr);
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  void start();
  // Closes the timer (the loop must run once more to finish closing it).
  void stop();
  static constexpr uint64_t kBurst = 256;
  static constexpr uint64_t kSettled = 16;
  static constexpr uint64_t kBurstGapMs = 5000;
  static constexpr uint64_t kQuietMs = 60000;

  // Trims if the policy above says so at loop time `now_ms`. Returns whether it trimmed.
  bool maybeTrim(uint64_t now_ms);

 private:
  static void onTimer(uv_timer_t* handle);

  uv_loop_t* loop_;
  const std::atomic<uint64_t>* accepted_;
  const std::atomic<uint64_t>* handshakes_;
  uint64_t interval_ms_;
  uint64_t seen_ = 0;          // accepted at the last trim
  uint64_t checked_ = 0;       // accepted at the last check
  uint64_t last_trim_ms_ = 0;  // loop time of the last trim
  bool started_ = false;
  uv_timer_t timer_{};
};

}  // namespace ssegate::app
