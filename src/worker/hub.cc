#include "worker/hub.h"

#include <chrono>

#include "base/log.h"
#include "base/metrics.h"
#include "config/config.h"
#include "worker/hub_channel.h"
#include "worker/worker.h"

namespace ssegate::worker {

Hub::Hub()
    : rng_(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {
  uv_loop_init(&loop_);
}

Hub::~Hub() {
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&loop_);
}

void Hub::start() {
  mailbox_.open(&loop_);
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

void Hub::stop() {
  post([this] { shutdownOnLoop(); });
  if (thread_.joinable()) thread_.join();
}

void Hub::shutdownOnLoop() {
  stopping_ = true;
  std::vector<HubChannel*> channels;
  for (auto& [id, ch] : by_id_) channels.push_back(ch);
  for (HubChannel* ch : channels) ch->close();
  mailbox_.close();
}

void Hub::reply(int worker, uint64_t sub_id, SubscribeResult&& result) {
  Worker* wk = workers_[static_cast<size_t>(worker)];
  wk->post([wk, sub_id, result = std::move(result)]() mutable {
    wk->deliverSubscribeResult(sub_id, std::move(result));
  });
}

void Hub::subscribe(int worker, uint64_t sub_id, SubscribeRequest&& request) {
  if (stopping_) {
    SubscribeResult r;
    r.status = 503;
    reply(worker, sub_id, std::move(r));
    return;
  }
  auto it = by_key_.find(request.channel_key);
  HubChannel* ch = (it != by_key_.end() && !it->second->closing()) ? it->second : nullptr;
  if (ch == nullptr) {
    const config::Config& cfg = *request.config;
    if (by_id_.size() >= cfg.limits.max_channels) {
      metrics().reject(Reject::kMaxChannels);
      LOG_WARN("hub", "rejected a subscriber: limits.max_channels (" << cfg.limits.max_channels
                                                                     << ") reached");
      SubscribeResult r;
      r.status = 503;
      reply(worker, sub_id, std::move(r));
      return;
    }
    auto up = cfg.upstreams.find(request.upstream);
    if (up == cfg.upstreams.end()) {  // cannot happen with a validated config
      SubscribeResult r;
      r.status = 502;
      reply(worker, sub_id, std::move(r));
      return;
    }
    uint64_t id = next_channel_id_++;
    ch = new HubChannel(*this, id, request, up->second);
    by_key_[request.channel_key] = ch;
    by_id_[id] = ch;
    ch->addSubscriber(worker, sub_id, request.last_event_id);
    ch->open(request.last_event_id);
    return;
  }
  ch->addSubscriber(worker, sub_id, request.last_event_id);
}

std::vector<ChannelInfo> Hub::snapshot() const {
  std::vector<ChannelInfo> out;
  out.reserve(by_id_.size());
  for (const auto& [id, ch] : by_id_) out.push_back(ch->info());
  return out;
}

void Hub::unsubscribe(int worker, uint64_t channel_id) {
  auto it = by_id_.find(channel_id);
  if (it == by_id_.end()) return;
  it->second->removeSubscriber(worker);
}

void Hub::forget(HubChannel* channel) {
  by_id_.erase(channel->id());
  auto it = by_key_.find(channel->key());
  if (it != by_key_.end() && it->second == channel) by_key_.erase(it);
  delete channel;
}

}  // namespace ssegate::worker
