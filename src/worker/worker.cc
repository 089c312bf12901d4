#include "worker/worker.h"

#include "base/log.h"
#include "base/metrics.h"
#include "worker/hub.h"

namespace ssegate::worker {

Worker::Worker(int index, Hub* hub, int64_t sweep_interval_ms)
    : index_(index),
      hub_(hub),
      sweep_interval_ms_(sweep_interval_ms),
      rng_(static_cast<uint64_t>(uv_hrtime()) ^ static_cast<uint64_t>(index)) {
  uv_loop_init(&loop_);
}

Worker::~Worker() {
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&loop_);
}

void Worker::start(Hook on_start, Hook on_stop) {
  uv_check_init(&loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, &Worker::onCheck);
  uv_timer_init(&loop_, &sweep_timer_);
  sweep_timer_.data = this;
  uv_timer_start(&sweep_timer_, &Worker::onSweepTimer, static_cast<uint64_t>(sweep_interval_ms_),
                 static_cast<uint64_t>(sweep_interval_ms_));
  mailbox_.open(&loop_, [this] { flushDirty(); });
  // on_stop is kept in the stop task, posted later.
  stop_hook_ = std::move(on_stop);
  thread_ =
      std::thread([this, on_start = std::move(on_start)]() mutable { run(std::move(on_start)); });
}

void Worker::run(Hook on_start) {
  if (on_start) on_start(*this);
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Worker::stop() {
  post([this] { shutdownOnLoop(std::move(stop_hook_)); });
  if (thread_.joinable()) thread_.join();
}

void Worker::shutdownOnLoop(Hook on_stop) {
  stopping_ = true;
  if (on_stop) on_stop(*this);
  for (WorkerConnection* c = connections_; c != nullptr;) {
    WorkerConnection* next = c->next_;
    c->shutdown();
    c = next;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_timer_), nullptr);
  mailbox_.close();
  // uv_run returns once the connections' handles have closed.
}

void Worker::drain(int64_t window_ms) {
  int64_t now = static_cast<int64_t>(uv_now(&loop_));
  std::uniform_int_distribution<int64_t> spread(0, window_ms > 0 ? window_ms : 0);
  for (WorkerConnection* c = connections_; c != nullptr;) {
    WorkerConnection* next = c->next_;
    c->drainAt(now + spread(rng_));
    c = next;
  }
  flushDirty();
}

void Worker::reload(std::shared_ptr<const config::Config> config, int64_t window_ms) {
  int64_t now = static_cast<int64_t>(uv_now(&loop_));
  std::uniform_int_distribution<int64_t> spread(0, window_ms > 0 ? window_ms : 0);
  for (WorkerConnection* c = connections_; c != nullptr;) {
    WorkerConnection* next = c->next_;
    c->onReload(*config, now + spread(rng_));
    c = next;
  }
  flushDirty();
}

void Worker::addConnection(WorkerConnection* c) {
  c->prev_ = nullptr;
  c->next_ = connections_;
  if (connections_) connections_->prev_ = c;
  connections_ = c;
  ++connection_count_;
}

void Worker::removeConnection(WorkerConnection* c) {
  if (c->prev_)
    c->prev_->next_ = c->next_;
  else if (connections_ == c)
    connections_ = c->next_;
  if (c->next_) c->next_->prev_ = c->prev_;
  c->prev_ = c->next_ = nullptr;
  --connection_count_;
  if (c->dirty_slot_ != SIZE_MAX) {
    dirty_[c->dirty_slot_] = nullptr;
    c->dirty_slot_ = SIZE_MAX;
  }
}

void Worker::markDirty(WorkerConnection* c) {
  if (c->dirty_slot_ != SIZE_MAX) return;
  c->dirty_slot_ = dirty_.size();
  dirty_.push_back(c);
}

void Worker::flushDirty() {
  flushConnections();
  if (latency_pending_.empty()) return;
  // Origin read -> written to (or queued in) the sockets of this worker's subscribers.
  int64_t now = monotonicMicros();
  for (int64_t t : latency_pending_) metrics().delivery_latency.observeMicros(now - t);
  latency_pending_.clear();
}

void Worker::flushConnections() {
  // flush() may mark other connections dirty (never itself) or remove connections: index loop.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    WorkerConnection* c = dirty_[i];
    if (c == nullptr) continue;
    c->dirty_slot_ = SIZE_MAX;
    dirty_[i] = nullptr;
    c->flush();
  }
  dirty_.clear();
}

void Worker::onCheck(uv_check_t* handle) {
  static_cast<Worker*>(handle->data)->flushDirty();
}

void Worker::onSweepTimer(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  self->sweep();
  self->flushDirty();
}

void Worker::sweep() {
  int64_t now = static_cast<int64_t>(uv_now(&loop_));
  for (WorkerConnection* c = connections_; c != nullptr;) {
    WorkerConnection* next = c->next_;  // onSweep may close (not delete) the connection
    c->onSweep(now);
    c = next;
  }
}

void Worker::subscribe(Subscription* sub, SubscribeRequest&& request) {
  unsubscribe(sub);
  sub->sub_id_ = next_sub_id_++;
  sub->link_ = Subscription::Link::kPending;
  pending_[sub->sub_id_] = sub;
  uint64_t sub_id = sub->sub_id_;
  int index = index_;
  Hub* hub = hub_;
  hub_->post([hub, index, sub_id, request = std::move(request)]() mutable {
    hub->subscribe(index, sub_id, std::move(request));
  });
}

void Worker::unsubscribe(Subscription* sub) {
  switch (sub->link_) {
    case Subscription::Link::kNone:
      return;
    case Subscription::Link::kPending:
      pending_.erase(sub->sub_id_);  // the hub's answer will find nobody and undo itself
      break;
    case Subscription::Link::kActive: {
      auto it = by_channel_.find(sub->channel_id_);
      if (it != by_channel_.end()) {
        auto& subs = it->second;
        size_t slot = sub->slot_;
        subs[slot] = subs.back();
        subs[slot]->slot_ = slot;
        subs.pop_back();
        if (subs.empty() && it->first != delivering_) by_channel_.erase(it);
      }
      uint64_t channel_id = sub->channel_id_;
      int index = index_;
      Hub* hub = hub_;
      hub_->post([hub, index, channel_id] { hub->unsubscribe(index, channel_id); });
      break;
    }
  }
  sub->link_ = Subscription::Link::kNone;
}

void Worker::deliverSubscribeResult(uint64_t sub_id, SubscribeResult&& result) {
  auto it = pending_.find(sub_id);
  if (it == pending_.end()) {
    // The subscriber left while the hub was answering: give back the interest it registered.
    if (result.status == 200) {
      uint64_t channel_id = result.channel_id;
      int index = index_;
      Hub* hub = hub_;
      hub_->post([hub, index, channel_id] { hub->unsubscribe(index, channel_id); });
    }
    return;
  }
  Subscription* sub = it->second;
  pending_.erase(it);
  if (result.status == 200) {
    auto& subs = by_channel_[result.channel_id];
    sub->link_ = Subscription::Link::kActive;
    sub->channel_id_ = result.channel_id;
    sub->slot_ = subs.size();
    subs.push_back(sub);
  } else {
    sub->link_ = Subscription::Link::kNone;
  }
  sub->onSubscribeResult(std::move(result));
}

void Worker::deliverEvents(uint64_t channel_id, const std::shared_ptr<const EventBatch>& events) {
  auto it = by_channel_.find(channel_id);
  if (it == by_channel_.end()) return;
  // Backwards: a subscriber shed inside onEvents() swap-removes itself, which only moves an
  // already-served subscriber into its slot.
  auto& subs = it->second;
  metrics().events_delivered.fetch_add(events->size() * subs.size(), std::memory_order_relaxed);
  for (const auto& ev : *events) latency_pending_.push_back(ev->receivedUs());
  delivering_ = channel_id;
  for (size_t i = subs.size(); i-- > 0;) {
    if (i < subs.size()) subs[i]->onEvents(*events);
  }
  delivering_ = 0;
  if (subs.empty()) by_channel_.erase(it);
}

void Worker::deliverChannelFinal(uint64_t channel_id, int status) {
  auto it = by_channel_.find(channel_id);
  if (it == by_channel_.end()) return;
  std::vector<Subscription*> subs = std::move(it->second);
  by_channel_.erase(it);
  for (Subscription* sub : subs) {
    sub->link_ = Subscription::Link::kNone;  // the hub already forgot this channel's interest
    sub->onChannelFinal(status);
  }
}

}  // namespace ssegate::worker
