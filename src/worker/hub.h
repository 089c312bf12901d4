// Hub: the thread and loop that own every channel and its one upstream connection (DESIGN B1,
// B2). Workers ask it for channels through post(); it answers and fans each event batch out
// with one post per interested worker.
//
// Owner: the Gateway. Threads: post() from anywhere; everything else on the hub thread.
#pragma once

#include <uv.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/mailbox.h"
#include "worker/subscription.h"

namespace ssegate::worker {

class HubChannel;
class Worker;

// One row of /channels (a snapshot taken on the hub thread).
struct ChannelInfo {
  std::string upstream;
  std::string path;
  std::string state;
  std::string last_event_id;
  uint32_t subscribers = 0;
  uint64_t events_received = 0;
};

class Hub {
 public:
  Hub();
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // REQUIRES: before start(); the workers outlive the hub's thread.
  void setWorkers(std::vector<Worker*> workers) { workers_ = std::move(workers); }
  void start();
  // Closes every channel and upstream connection and joins the thread.
  void stop();
  void post(Mailbox::Task task) { mailbox_.post(std::move(task)); }

  // --- on the hub thread ---
  void subscribe(int worker, uint64_t sub_id, SubscribeRequest&& request);
  void unsubscribe(int worker, uint64_t channel_id);

  std::vector<ChannelInfo> snapshot() const;

  uv_loop_t* loop() { return &loop_; }
  Worker& worker(int index) { return *workers_[static_cast<size_t>(index)]; }
  size_t workerCount() const { return workers_.size(); }
  // A channel that has closed its handles asks to be forgotten (and is then deleted).
  void forget(HubChannel* channel);
  uint64_t randomSeed() { return rng_(); }

 private:
  void shutdownOnLoop();
  void reply(int worker, uint64_t sub_id, SubscribeResult&& result);

  uv_loop_t loop_{};
  Mailbox mailbox_;
  std::thread thread_;
  std::vector<Worker*> workers_;
  std::unordered_map<std::string, HubChannel*> by_key_;
  std::unordered_map<uint64_t, HubChannel*> by_id_;
  uint64_t next_channel_id_ = 1;
  std::mt19937_64 rng_;
  bool stopping_ = false;
};

}  // namespace ssegate::worker
