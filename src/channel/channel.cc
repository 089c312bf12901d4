#include "channel/channel.h"

#include <cstdio>

#include "channel/sse_encoder.h"

namespace ssegate::channel {

Channel::Channel(std::string key, uint32_t replay_max_events, int64_t replay_max_age_ms,
                 uint64_t epoch)
    : key_(std::move(key)), ring_(replay_max_events, replay_max_age_ms), epoch_(epoch) {}

EncodedEventPtr Channel::onOriginEvent(SseEvent&& event, int64_t now_ms, int64_t now_us) {
  if (dedup_) {
    if (event.has_id && !event.id.empty() && ring_.contains(event.id)) {
      ++duplicates_dropped_;
      return nullptr;
    }
    dedup_ = false;
  }
  ++events_received_;
  ++seq_;
  if (!event.has_id || event.id.empty()) {
    // Every event gets an id subscribers can resume from, even when the origin sent none.
    char buf[48];
    snprintf(buf, sizeof buf, "g%llx-%llu", static_cast<unsigned long long>(epoch_),
             static_cast<unsigned long long>(seq_));
    event.id = buf;
    event.has_id = true;
  }
  scratch_.clear();
  appendEvent(event, &scratch_);
  auto encoded = EncodedEvent::make(event.id, scratch_, seq_, now_us);
  last_event_id_ = event.id;
  ring_.push(encoded, now_ms);
  return encoded;
}

}  // namespace ssegate::channel
