#include "app/memory_trimmer.h"

#include <malloc.h>

#include "base/log.h"

namespace ssegate::app {

MemoryTrimmer::MemoryTrimmer(uv_loop_t* loop, const std::atomic<uint64_t>* accepted,
                             uint64_t interval_ms, const std::atomic<uint64_t>* handshakes)
    : loop_(loop), accepted_(accepted), handshakes_(handshakes), interval_ms_(interval_ms) {}

void MemoryTrimmer::start() {
  if (started_) return;
  started_ = true;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_start(&timer_, &MemoryTrimmer::onTimer, interval_ms_, interval_ms_);
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));  // never keeps the loop alive on its own
}

void MemoryTrimmer::stop() {
  if (!started_) return;
  started_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void MemoryTrimmer::onTimer(uv_timer_t* handle) {
  auto* self = static_cast<MemoryTrimmer*>(handle->data);
  self->maybeTrim(uv_now(self->loop_));
}

bool MemoryTrimmer::maybeTrim(uint64_t now_ms) {
  uint64_t accepted = accepted_->load(std::memory_order_relaxed) +
                      (handshakes_ ? handshakes_->load(std::memory_order_relaxed) : 0);
  uint64_t fresh = accepted - seen_;
  bool settled = accepted == checked_;
  checked_ = accepted;
  uint64_t since = now_ms - last_trim_ms_;
  bool trim = fresh > 0 && ((settled && fresh >= kSettled) ||
                            (fresh >= kBurst && since >= kBurstGapMs) || since >= kQuietMs);
  if (!trim) return false;
  seen_ = accepted;
  last_trim_ms_ = now_ms;
  uint64_t t0 = uv_hrtime();
  malloc_trim(0);
  uint64_t us = (uv_hrtime() - t0) / 1000;
  if (us > 20000) LOG_INFO("memory", "malloc_trim took " << us / 1000 << " ms");
  return true;
}

}  // namespace ssegate::app
