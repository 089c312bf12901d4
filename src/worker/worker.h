// Worker: one thread, one uv_loop, the downstream connections accepted on it, and its local
// fan-out index (channel id -> subscriptions). Shared-nothing: other threads reach it only
// through post() (DESIGN B2).
//
// Per loop turn, a worker flushes each dirty connection once (after its mailbox batch and in a
// check handle), and one sweep timer drives keepalives and timeouts of all its connections.
// Owner: the Gateway. Lifetime: start() -> ... -> stop() (joins the thread).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/mailbox.h"
#include "worker/subscription.h"
#include "worker/worker_connection.h"

namespace ssegate::worker {

class Hub;

class Worker {
 public:
  using Hook = std::function<void(Worker&)>;

  Worker(int index, Hub* hub, int64_t sweep_interval_ms);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int index() const { return index_; }
  uv_loop_t* loop() { return &loop_; }

  // Starts the thread; `on_start` runs on it first (e.g. to open listeners); `on_stop` runs on
  // it when stop() is called, before connections are shut down (e.g. to close listeners).
  void start(Hook on_start, Hook on_stop);
  // Closes everything and joins the thread. Call once, from another thread.
  void stop();
  void post(Mailbox::Task task) { mailbox_.post(std::move(task)); }

  // --- on the worker thread ---
  // Every connection drains at a random moment within `window_ms` from now.
  void drain(int64_t window_ms);
  void reload(std::shared_ptr<const config::Config> config, int64_t window_ms);

  // --- on the worker thread ---
  void addConnection(WorkerConnection* c);
  void removeConnection(WorkerConnection* c);
  void markDirty(WorkerConnection* c);
  size_t connectionCount() const { return connection_count_; }

  // Asks the hub for the channel; the answer arrives through sub->onSubscribeResult().
  void subscribe(Subscription* sub, SubscribeRequest&& request);
  // Forgets the subscription (pending or active). Safe to call more than once.
  void unsubscribe(Subscription* sub);

  // --- called by the hub through post() ---
  void deliverSubscribeResult(uint64_t sub_id, SubscribeResult&& result);
  void deliverEvents(uint64_t channel_id, const std::shared_ptr<const EventBatch>& events);
  void deliverChannelFinal(uint64_t channel_id, int status);

 private:
  void run(Hook on_start);
  void shutdownOnLoop(Hook on_stop);
  void flushDirty();
  void flushConnections();
  void sweep();
  static void onCheck(uv_check_t* handle);
  static void onSweepTimer(uv_timer_t* handle);

  int index_;
  Hub* hub_;
  int64_t sweep_interval_ms_;
  uv_loop_t loop_{};
  uv_check_t check_{};
  uv_timer_t sweep_timer_{};
  Mailbox mailbox_;
  std::thread thread_;
  bool stopping_ = false;
  Hook stop_hook_;
  std::mt19937_64 rng_;

  WorkerConnection* connections_ = nullptr;  // intrusive list head
  size_t connection_count_ = 0;
  std::vector<WorkerConnection*> dirty_;
  std::vector<int64_t> latency_pending_;  // receive times of events delivered this turn

  uint64_t next_sub_id_ = 1;
  uint64_t delivering_ = 0;  // channel whose events are being delivered (ids start at 1)
  std::unordered_map<uint64_t, Subscription*> pending_;                  // sub id -> sub
  std::unordered_map<uint64_t, std::vector<Subscription*>> by_channel_;  // fan-out index
};

}  // namespace ssegate::worker
