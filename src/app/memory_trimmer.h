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
// When: on the main loop every `interval_ms`, only if connections were accepted since the
// last trim (a quiet gateway is never touched). One trim walks the free chunks of every arena
// under its lock; it is timed and a slow one is logged.
// Thread: the main loop. Owner: the Gateway.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>

namespace ssegate::app {

class MemoryTrimmer {
 public:
  // `accepted`: the process's running count of accepted connections.
  MemoryTrimmer(uv_loop_t* loop, const std::atomic<uint64_t>* accepted, uint64_t interval_ms);
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

  void start();
  // Closes the timer (the loop must run once more to finish closing it).
  void stop();
  // Trims now if anything was accepted since the last trim. Returns whether it trimmed.
  bool maybeTrim();

 private:
  static void onTimer(uv_timer_t* handle);

  uv_loop_t* loop_;
  const std::atomic<uint64_t>* accepted_;
  uint64_t interval_ms_;
  uint64_t seen_ = 0;
  bool started_ = false;
  uv_timer_t timer_{};
};

}  // namespace ssegate::app
