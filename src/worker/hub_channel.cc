#include "worker/hub_channel.h"

#include <chrono>

#include "base/log.h"
#include "base/metrics.h"
#include "config/config.h"
#include "worker/hub.h"
#include "worker/worker.h"

namespace ssegate::worker {

HubChannel::HubChannel(Hub& hub, uint64_t id, const SubscribeRequest& first,
                       const config::Upstream& up)
    : hub_(hub),
      id_(id),
      config_(first.config),
      upstream_(up),
      route_(*first.route),
      upstream_name_(first.upstream),
      upstream_path_(first.upstream_path),
      channel_(first.channel_key, first.route->replay.max_events,
               first.route->replay.max_age.count(), hub.randomSeed() & 0xffffffffffULL),
      parser_(config_->limits.max_event_bytes),
      backoff_(up.reconnect.initial_delay.count(), up.reconnect.max_delay.count(),
               hub.randomSeed()),
      upstream_metrics_(metrics().upstream(first.upstream)),
      interest_(hub.workerCount(), 0) {
  metrics().channels.fetch_add(1, std::memory_order_relaxed);
  uv_timer_init(hub_.loop(), &retry_timer_);
  uv_timer_init(hub_.loop(), &linger_timer_);
  retry_timer_.data = this;
  linger_timer_.data = this;
  open_handles_ = 2;
}

HubChannel::~HubChannel() {
  metrics().channels.fetch_sub(1, std::memory_order_relaxed);
}

int64_t HubChannel::nowMs() const {
  return static_cast<int64_t>(uv_now(hub_.loop()));
}

ChannelInfo HubChannel::info() const {
  ChannelInfo i;
  i.upstream = upstream_name_;
  i.path = upstream_path_;
  switch (state_) {
    case State::kConnecting:
      i.state = "connecting";
      break;
    case State::kStreaming:
      i.state = "streaming";
      break;
    case State::kBackoff:
      i.state = "reconnecting";
      break;
    case State::kFinal:
      i.state = "final " + std::to_string(final_status_);
      break;
  }
  if (closing_) i.state = "closing";
  i.last_event_id = channel_.lastEventId();
  i.subscribers = subscribers_;
  i.events_received = channel_.eventsReceived();
  return i;
}

void HubChannel::open(const std::string& resume_id) {
  // Every attempt, not just the first, must resume from there until the origin has sent an
  // event of its own.
  parser_.setResumeId(resume_id);
  // The first answer is awaited at most connect_timeout; then waiting subscribers get their
  // 200 stream and ride out the outage with keepalives.
  uv_timer_start(&retry_timer_, &HubChannel::onRetryTimer,
                 static_cast<uint64_t>(upstream_.connect_timeout.count()), 0);
  connect(resume_id);
}

void HubChannel::connect(const std::string& last_event_id) {
  state_ = State::kConnecting;
  LOG_DEBUG(key(), "connecting to " << upstream_.url << upstream_path_
                                    << (last_event_id.empty() ? "" : " with Last-Event-ID"));
  conn_ =
      new upstream::UpstreamConnection(hub_.loop(), upstream_, upstream_path_, last_event_id, this);
  conn_->start();
}

void HubChannel::addSubscriber(int worker, uint64_t sub_id, const std::string& last_event_id) {
  if (state_ == State::kFinal) {
    SubscribeResult result;
    result.status = final_status_;
    int w = worker;
    Worker* wk = &hub_.worker(w);
    wk->post([wk, sub_id, result = std::move(result)]() mutable {
      wk->deliverSubscribeResult(sub_id, std::move(result));
    });
    return;
  }
  uv_timer_stop(&linger_timer_);
  if (!answered_) {
    pending_.push_back(Pending{worker, sub_id, last_event_id});
    return;
  }
  accept(worker, sub_id, last_event_id);
}

void HubChannel::accept(int worker, uint64_t sub_id, const std::string& last_event_id) {
  SubscribeResult result;
  result.status = 200;
  result.channel_id = id_;
  result.replay = channel_.replay(last_event_id, nowMs(), &result.events);
  ++interest_[static_cast<size_t>(worker)];
  ++subscribers_;
  Worker* wk = &hub_.worker(worker);
  wk->post([wk, sub_id, result = std::move(result)]() mutable {
    wk->deliverSubscribeResult(sub_id, std::move(result));
  });
}

void HubChannel::answerPending(int status) {
  answered_ = true;
  std::vector<Pending> pending;
  pending.swap(pending_);
  for (Pending& p : pending) {
    if (status == 200) {
      accept(p.worker, p.sub_id, p.last_event_id);
    } else {
      SubscribeResult result;
      result.status = status;
      Worker* wk = &hub_.worker(p.worker);
      uint64_t sub_id = p.sub_id;
      wk->post([wk, sub_id, result = std::move(result)]() mutable {
        wk->deliverSubscribeResult(sub_id, std::move(result));
      });
    }
  }
}

void HubChannel::removeSubscriber(int worker) {
  uint32_t& n = interest_[static_cast<size_t>(worker)];
  if (n == 0) return;  // interest already dropped (channel went final)
  --n;
  --subscribers_;
  maybeStartLinger();
}

void HubChannel::maybeStartLinger() {
  if (subscribers_ > 0 || !pending_.empty() || closing_) return;
  uv_timer_start(&linger_timer_, &HubChannel::onLingerTimer,
                 static_cast<uint64_t>(route_.linger.count()), 0);
}

void HubChannel::onUpstreamStreaming() {
  state_ = State::kStreaming;
  upstream_metrics_.connects_ok.fetch_add(1, std::memory_order_relaxed);
  upstream_metrics_.connections.fetch_add(1, std::memory_order_relaxed);
  uv_timer_stop(&retry_timer_);
  parser_.reset();
  if (had_stream_) channel_.upstreamReconnected();
  had_stream_ = true;
  LOG_INFO(key(), "upstream stream established (" << upstream_.url << upstream_path_ << ")");
  if (!answered_) answerPending(200);
}

void HubChannel::onUpstreamBody(std::string_view bytes) {
  parser_.feed(bytes, *this);
  publishBatch();
}

void HubChannel::onEvent(channel::SseEvent&& event) {
  int64_t now_ms = nowMs();
  auto encoded = channel_.onOriginEvent(std::move(event), now_ms, monotonicMicros());
  if (!encoded) return;
  upstream_metrics_.events_received.fetch_add(1, std::memory_order_relaxed);
  if (batch_.empty()) backoff_.reset();  // the stream works: the next outage starts afresh
  batch_.push_back(std::move(encoded));
}

void HubChannel::onRetry(uint64_t millis) {
  // A value beyond any sane delay (even beyond 64 bits: the parser saturates) is capped at the
  // hour that Backoff allows, never wrapped into a negative "no retry".
  constexpr uint64_t kMaxRetryMs = 3600 * 1000;
  backoff_.setOriginRetry(static_cast<int64_t>(millis < kMaxRetryMs ? millis : kMaxRetryMs));
}

void HubChannel::onOversizedEvent() {
  metrics().oversized_events.fetch_add(1, std::memory_order_relaxed);
  LOG_WARN(key(), "dropped an event larger than limits.max_event_bytes ("
                      << config_->limits.max_event_bytes << " bytes)");
}

void HubChannel::publishBatch() {
  if (batch_.empty()) return;
  auto batch = std::make_shared<const EventBatch>(std::move(batch_));
  batch_.clear();
  uint64_t id = id_;
  for (size_t w = 0; w < interest_.size(); ++w) {
    if (interest_[w] == 0) continue;
    Worker* wk = &hub_.worker(static_cast<int>(w));
    wk->post([wk, id, batch] { wk->deliverEvents(id, batch); });
  }
}

void HubChannel::onUpstreamEnd(upstream::UpstreamEnd end, int status, const std::string& detail) {
  conn_ = nullptr;
  publishBatch();
  if (state_ == State::kStreaming) {
    upstream_metrics_.connections.fetch_sub(1, std::memory_order_relaxed);
  } else {
    upstream_metrics_.connects_error.fetch_add(1, std::memory_order_relaxed);
  }
  if (end == upstream::UpstreamEnd::kDefinitive) {
    LOG_WARN(key(), "origin answered " << status << ": relaying it to subscribers");
    goFinal(status);
    return;
  }
  int64_t delay = backoff_.next();
  LOG_WARN(key(), "upstream " << upstream::upstreamEndName(end) << ": " << detail
                              << "; reconnecting in " << delay << " ms");
  state_ = State::kBackoff;
  // An outage is not an answer: waiting subscribers get their stream and keepalives.
  if (!answered_) answerPending(200);
  uv_timer_start(&retry_timer_, &HubChannel::onRetryTimer, static_cast<uint64_t>(delay), 0);
}

void HubChannel::onRetryTimer(uv_timer_t* t) {
  auto* self = static_cast<HubChannel*>(t->data);
  if (self->state_ == State::kBackoff) {
    self->connect(self->parser_.resumeId());
  } else if (self->state_ == State::kConnecting && !self->answered_) {
    LOG_WARN(self->key(), "origin has not answered within connect_timeout; streams start now");
    self->answerPending(200);
  }
}

void HubChannel::goFinal(int status) {
  state_ = State::kFinal;
  final_status_ = status;
  uv_timer_stop(&retry_timer_);
  abortUpstream();
  answerPending(status);
  uint64_t id = id_;
  for (size_t w = 0; w < interest_.size(); ++w) {
    if (interest_[w] == 0) continue;
    interest_[w] = 0;
    Worker* wk = &hub_.worker(static_cast<int>(w));
    wk->post([wk, id, status] { wk->deliverChannelFinal(id, status); });
  }
  subscribers_ = 0;
  maybeStartLinger();  // the answer is remembered for `linger`, then the channel goes
}

void HubChannel::abortUpstream() {
  if (!conn_) return;
  if (state_ == State::kStreaming) {
    upstream_metrics_.connections.fetch_sub(1, std::memory_order_relaxed);
  }
  conn_->abort();
  conn_ = nullptr;
}

void HubChannel::onLingerTimer(uv_timer_t* t) {
  auto* self = static_cast<HubChannel*>(t->data);
  LOG_INFO(self->key(),
           "no subscribers for " << self->route_.linger.count() << " ms: closing the channel");
  self->close();
}

void HubChannel::close() {
  if (closing_) return;
  closing_ = true;
  abortUpstream();
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), &HubChannel::onHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&linger_timer_), &HubChannel::onHandleClosed);
}

void HubChannel::onHandleClosed(uv_handle_t* h) {
  auto* self = static_cast<HubChannel*>(h->data);
  if (--self->open_handles_ == 0) self->hub_.forget(self);
}

}  // namespace ssegate::worker
