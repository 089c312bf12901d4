// ChannelPublisher: the event source of one channel of the demo origin.
//
// Owned by OriginServer; lives on the single loop thread. Created on the channel's first request
// and then publishes for the rest of the process, so sequence numbers are deterministic: event k
// (k = 1, 2, ...) is due at t0 + k / rate, where t0 is the creation time, and carries that intended
// time as ts_us (CLOCK_REALTIME microseconds). The schedule is open-loop: a late timer emits every
// overdue event at once with its intended ts_us, so a stalled consumer shows up as latency.
//
// Each event is encoded once, as an HTTP/1.1 chunk, and the same bytes are queued on every
// subscribed connection. Invariants: history_ holds at most options.history events with
// consecutive ids ending at next_seq_ - 1; subscribers_[i]->subscriberIndex() == i.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "origin_options.h"

namespace demo {

class StreamConnection;
using Bytes = std::shared_ptr<const std::string>;

class ChannelPublisher {
 public:
  ChannelPublisher(uv_loop_t* loop, std::string name, const OriginOptions& options);
  ChannelPublisher(const ChannelPublisher&) = delete;
  ChannelPublisher& operator=(const ChannelPublisher&) = delete;

  // Queues the history after last_event_id (if given) on the connection, then live events.
  // Returns the number of events replayed. An id older than the history replays all of it.
  size_t subscribe(StreamConnection* connection, const std::string* last_event_id);
  void unsubscribe(StreamConnection* connection);

  // Sends a comment if nothing was sent for keepalive_s. Called by the server's sweep timer.
  void keepalive(uint64_t now_ns);

  // Stops the timer; the publisher may be destroyed once the loop has run the close callback.
  void close();

  size_t subscribers() const { return subscribers_.size(); }

 private:
  static void onTimerThunk(uv_timer_t* timer);
  void onTimer();
  void arm(uint64_t now_ns);
  uint64_t dueNs(uint64_t seq) const;
  std::string encode(uint64_t seq) const;  // one SSE event, without chunk framing
  void broadcast(const Bytes& chunk);

  uv_timer_t timer_;
  std::string name_;
  const OriginOptions& options_;
  uint64_t t0_mono_ns_;
  int64_t t0_real_us_;
  uint64_t next_seq_ = 1;
  uint64_t last_send_ns_;
  std::deque<std::string> history_;  // SSE text of events next_seq_ - size() .. next_seq_ - 1
  std::vector<StreamConnection*> subscribers_;
};

// Wraps SSE text in one HTTP/1.1 chunk.
Bytes makeChunk(const std::string& payload);

}  // namespace demo
