// HubChannel: one channel on the hub loop: its upstream connection (reconnected with backoff
// and Last-Event-ID), SSE parser, Channel logic (ids, replay ring, de-duplication), which
// workers have subscribers, and the linger timer.
//
// States: kConnecting -> kStreaming -> (kBackoff -> kConnecting)* ; any -> kFinal on a
// definitive origin answer (204/401/403/404/410), remembered for `linger` so that reconnecting
// EventSources receive that status. Subscribers that arrive before the origin's first answer
// wait for it (bounded by connect_timeout) so that a definitive answer reaches them as a status.
//
// Owner: the Hub (by_id_/by_key_). Deletion: close() closes the handles; the last close
// callback calls Hub::forget(), which deletes it. Thread: the hub loop.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "channel/channel.h"
#include "channel/sse_parser.h"
#include "upstream/backoff.h"
#include "upstream/upstream_connection.h"
#include "worker/hub.h"
#include "worker/subscription.h"

namespace ssegate::worker {

class Hub;

class HubChannel : public upstream::UpstreamConnection::Handler,
                   public channel::SseParser::Handler {
 public:
  HubChannel(Hub& hub, uint64_t id, const SubscribeRequest& first, const config::Upstream& up);
  ~HubChannel() override;

  uint64_t id() const { return id_; }
  const std::string& key() const { return channel_.key(); }
  bool closing() const { return closing_; }
  ChannelInfo info() const;

  // Opens the upstream; `resume_id` is the first subscriber's Last-Event-ID, offered to the
  // origin so that a brand-new channel can still resume (e.g. after a gateway restart).
  void open(const std::string& resume_id);
  void addSubscriber(int worker, uint64_t sub_id, const std::string& last_event_id);
  void removeSubscriber(int worker);
  // Hub stopping or linger over: abort the upstream, close handles (deletes itself later).
  void close();

  // UpstreamConnection::Handler
  void onUpstreamStreaming() override;
  void onUpstreamBody(std::string_view bytes) override;
  void onUpstreamEnd(upstream::UpstreamEnd end, int status, const std::string& detail) override;
  // SseParser::Handler
  void onEvent(channel::SseEvent&& event) override;
  void onRetry(uint64_t millis) override;
  void onOversizedEvent() override;

 private:
  enum class State { kConnecting, kStreaming, kBackoff, kFinal };
  struct Pending {
    int worker;
    uint64_t sub_id;
    std::string last_event_id;
  };

  void connect(const std::string& last_event_id);
  void accept(int worker, uint64_t sub_id, const std::string& last_event_id);
  void answerPending(int status);
  void publishBatch();
  void goFinal(int status);
  void maybeStartLinger();
  void abortUpstream();
  int64_t nowMs() const;
  static void onRetryTimer(uv_timer_t* t);
  static void onLingerTimer(uv_timer_t* t);
  static void onHandleClosed(uv_handle_t* h);

  Hub& hub_;
  uint64_t id_;
  std::shared_ptr<const config::Config> config_;  // keeps upstream_ and route_ alive
  const config::Upstream& upstream_;
  const config::Route& route_;
  std::string upstream_name_;
  std::string upstream_path_;
  State state_ = State::kConnecting;
  bool answered_ = false;  // the origin answered once, or the first-answer wait ran out
  bool had_stream_ = false;
  bool closing_ = false;
  int final_status_ = 0;
  int open_handles_ = 0;

  channel::Channel channel_;
  channel::SseParser parser_;
  upstream::Backoff backoff_;
  upstream::UpstreamConnection* conn_ = nullptr;
  UpstreamMetrics& upstream_metrics_;
  uv_timer_t retry_timer_{};
  uv_timer_t linger_timer_{};

  std::vector<uint32_t> interest_;  // subscribers per worker
  uint32_t subscribers_ = 0;
  std::vector<Pending> pending_;
  EventBatch batch_;  // events parsed from the current read, posted together
};

}  // namespace ssegate::worker
