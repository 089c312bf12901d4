// Channel: the pure logic of one channel (one upstream stream): turns origin events into
// shared EncodedEvents, assigns gateway ids, keeps the replay ring, and suppresses the events an
// origin repeats after a reconnect with Last-Event-ID.
//
// Owned by the hub's HubChannel on the hub loop; no sockets, no threads, no clock of its own
// (callers pass the time), so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "channel/encoded_event.h"
#include "channel/replay_ring.h"
#include "channel/sse_event.h"

namespace ssegate::channel {

class Channel {
 public:
  // epoch: distinguishes gateway ids of this channel instance from any earlier one, so a stale
  // gateway id from a previous process or channel instance is a replay miss, never a wrong hit.
  Channel(std::string key, uint32_t replay_max_events, int64_t replay_max_age_ms, uint64_t epoch);

  const std::string& key() const { return key_; }

  // An event parsed from the origin. Returns the shared encoded event to fan out, or nullptr if
  // it was dropped as a repeat of an event already delivered (see upstreamReconnected()).
  EncodedEventPtr onOriginEvent(SseEvent&& event, int64_t now_ms, int64_t now_us);

  // A new upstream response started after an earlier one: until the first event whose id is not
  // already in the ring, events whose id IS in the ring are repeats and are dropped.
  void upstreamReconnected() { dedup_ = true; }

  ReplayKind replay(std::string_view last_id, int64_t now_ms, std::vector<EncodedEventPtr>* out) {
    return ring_.after(last_id, now_ms, out);
  }

  const std::string& lastEventId() const { return last_event_id_; }  // last id sent downstream
  uint64_t eventsReceived() const { return events_received_; }
  uint64_t duplicatesDropped() const { return duplicates_dropped_; }
  size_t ringSize() const { return ring_.size(); }

 private:
  std::string key_;
  ReplayRing ring_;
  uint64_t epoch_;
  uint64_t seq_ = 0;
  bool dedup_ = false;
  std::string last_event_id_;
  uint64_t events_received_ = 0;
  uint64_t duplicates_dropped_ = 0;
  std::string scratch_;  // reused encode buffer
};

}  // namespace ssegate::channel
