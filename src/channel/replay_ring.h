// ReplayRing: the per-channel history used for Last-Event-ID resume (DESIGN A4).
//
// Bounded by max_events and max_age; the oldest events fall out first. Owned by one Channel on
// the hub loop; not thread-safe (the events it holds are immutable and shared).
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "channel/encoded_event.h"

namespace ssegate::channel {

enum class ReplayKind { kNone, kHit, kMiss };
std::string_view replayKindName(ReplayKind kind);  // "none" | "hit" | "miss"

class ReplayRing {
 public:
  ReplayRing(uint32_t max_events, int64_t max_age_ms)
      : max_events_(max_events), max_age_ms_(max_age_ms) {}

  void push(EncodedEventPtr event, int64_t now_ms);
  // Drops events older than max_age.
  void expire(int64_t now_ms);

  // Events after `last_id`, appended to *out. A last_id that is not in the ring (or was evicted)
  // replays the whole ring and answers kMiss; an empty last_id answers kNone and appends nothing.
  ReplayKind after(std::string_view last_id, int64_t now_ms, std::vector<EncodedEventPtr>* out);

  bool contains(std::string_view id) const;
  size_t size() const { return entries_.size(); }
  const EncodedEventPtr* newest() const {
    return entries_.empty() ? nullptr : &entries_.back().event;
  }

 private:
  struct Entry {
    EncodedEventPtr event;
    int64_t at_ms;
  };
  uint32_t max_events_;
  int64_t max_age_ms_;
  std::deque<Entry> entries_;
};

}  // namespace ssegate::channel
