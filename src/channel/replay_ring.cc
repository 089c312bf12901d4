#include "channel/replay_ring.h"

namespace ssegate::channel {

std::string_view replayKindName(ReplayKind kind) {
  switch (kind) {
    case ReplayKind::kNone:
      return "none";
    case ReplayKind::kHit:
      return "hit";
    case ReplayKind::kMiss:
      return "miss";
  }
  return "none";
}

void ReplayRing::push(EncodedEventPtr event, int64_t now_ms) {
  if (max_events_ == 0) return;
  entries_.push_back(Entry{std::move(event), now_ms});
  while (entries_.size() > max_events_) entries_.pop_front();
  expire(now_ms);
}

void ReplayRing::expire(int64_t now_ms) {
  while (!entries_.empty() && now_ms - entries_.front().at_ms > max_age_ms_) entries_.pop_front();
}

bool ReplayRing::contains(std::string_view id) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->event->id() == id) return true;
  }
  return false;
}

ReplayKind ReplayRing::after(std::string_view last_id, int64_t now_ms,
                             std::vector<EncodedEventPtr>* out) {
  if (last_id.empty()) return ReplayKind::kNone;
  expire(now_ms);
  // Newest first: a resuming subscriber is usually only a few events behind.
  size_t start = entries_.size();
  bool found = false;
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].event->id() == last_id) {
      start = i + 1;
      found = true;
      break;
    }
  }
  if (!found) start = 0;
  for (size_t i = start; i < entries_.size(); ++i) out->push_back(entries_[i].event);
  return found ? ReplayKind::kHit : ReplayKind::kMiss;
}

}  // namespace ssegate::channel
