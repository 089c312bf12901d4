// Subscription: one downstream SSE stream as the worker's fan-out index sees it. The seam
// between the worker and the protocols: an HTTP/1.1 connection is one subscription, an HTTP/2
// connection has one per stream.
//
// Thread: the owning worker's loop. Owner: the downstream connection. It must call
// Worker::unsubscribe() before it goes away; the worker then forgets it at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "channel/encoded_event.h"
#include "channel/replay_ring.h"

namespace ssegate::config {
struct Config;
struct Route;
}  // namespace ssegate::config

namespace ssegate::worker {

using EventBatch = std::vector<channel::EncodedEventPtr>;

// What a subscription asks the hub for.
struct SubscribeRequest {
  std::string channel_key;  // upstream name + '\n' + rendered upstream path
  std::string upstream;     // upstream name
  std::string upstream_path;
  std::string last_event_id;                     // empty: no resume
  std::shared_ptr<const config::Config> config;  // keeps *route alive
  const config::Route* route = nullptr;
};

// The hub's answer. status 200: the stream starts; `events` are the replay (oldest first), and
// live events follow with no gap and no duplicate. Any other status is the HTTP status to send.
struct SubscribeResult {
  int status = 200;
  uint64_t channel_id = 0;
  channel::ReplayKind replay = channel::ReplayKind::kNone;
  EventBatch events;
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual void onSubscribeResult(SubscribeResult&& result) = 0;
  // Live events of the channel, oldest first.
  virtual void onEvents(const EventBatch& events) = 0;
  // The origin gave a definitive answer (e.g. 404): the stream must end.
  virtual void onChannelFinal(int status) = 0;

 private:
  friend class Worker;
  enum class Link { kNone, kPending, kActive };
  Link link_ = Link::kNone;
  uint64_t sub_id_ = 0;
  uint64_t channel_id_ = 0;
  size_t slot_ = 0;  // index in the worker's per-channel vector while kActive
};

}  // namespace ssegate::worker
