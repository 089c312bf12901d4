#include "channel/stream_frames.h"

#include <string>

#include "channel/sse_encoder.h"

namespace ssegate::channel {

const EncodedEventPtr& keepaliveFrame() {
  static const EncodedEventPtr frame = [] {
    std::string s;
    appendKeepalive(&s);
    return EncodedEvent::make("", s);
  }();
  return frame;
}

EncodedEventPtr openingFrame(int64_t retry_ms) {
  std::string s;
  appendRetry(static_cast<uint64_t>(retry_ms), &s);
  appendComment("ssegate stream open", &s);
  s += '\n';
  return EncodedEvent::make("", s);
}

EncodedEventPtr drainFrame(int64_t retry_ms, uint64_t entropy) {
  uint64_t base = retry_ms > 0 ? static_cast<uint64_t>(retry_ms) : 0;
  std::string s;
  appendRetry(base + entropy % (base + 1), &s);
  s += '\n';
  return EncodedEvent::make("", s);
}

}  // namespace ssegate::channel
