#include "upstream/backoff.h"

#include <algorithm>

namespace ssegate::upstream {

int64_t Backoff::next() {
  // A floor of 10 ms: retry: 0 from a flapping origin must not become a busy loop.
  int64_t base = std::max<int64_t>(10, origin_retry_ms_ >= 0 ? origin_retry_ms_ : initial_ms_);
  // The origin's retry may exceed max_delay; honour it (the origin asked for it) but bound it
  // to one hour so a hostile value cannot park a channel forever.
  int64_t cap = std::max(max_ms_, std::min<int64_t>(base, 3600 * 1000));
  int64_t delay = base;
  for (int i = 0; i < attempts_ && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  ++attempts_;
  if (delay <= 1) return delay;
  int64_t half = delay / 2;
  std::uniform_int_distribution<int64_t> dist(0, delay - half);
  return half + dist(rng_);
}

}  // namespace ssegate::upstream
