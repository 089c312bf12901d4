// AdminServer: the admin listener (DESIGN A5): /healthz, /readyz, /metrics, /channels, the live
// dashboard at / and its SSE feed at /dashboard/events.
//
// Runs on the main thread's loop (the Gateway's), never on a worker, so a busy data path cannot
// hide the gateway's health. /channels asks the hub for a snapshot through its mailbox; the
// answer comes back through this loop's mailbox. One request per connection, answered with
// Connection: close, except the dashboard feed, which streams a JSON snapshot every second.
// Owner: the Gateway; start()/close() on the main loop.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mailbox.h"
#include "base/metrics.h"
#include "worker/hub.h"
#include "worker/shared_state.h"

namespace ssegate::admin {

class AdminConnection;

class AdminServer {
 public:
  AdminServer(uv_loop_t* loop, Mailbox* loop_mailbox, worker::Hub* hub,
              worker::SharedState* shared);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds host:port. Returns 0 or a negative errno-style libuv error.
  int start(const std::string& host, uint16_t port);
  void close();

  // --- used by AdminConnection, on the main loop ---
  void handle(AdminConnection* conn, const std::string& method, const std::string& path);
  void forget(AdminConnection* conn);

 private:
  void requestChannels(uint64_t conn_id);
  void tick();
  std::string dashboardSnapshot();
  static void onConnection(uv_stream_t* server, int status);
  static void onTick(uv_timer_t* t);

  uv_loop_t* loop_;
  Mailbox* mailbox_;
  worker::Hub* hub_;
  worker::SharedState* shared_;
  uv_tcp_t tcp_{};
  uv_timer_t tick_timer_{};
  bool started_ = false;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, AdminConnection*> conns_;
  std::string last_snapshot_;  // the dashboard JSON of the last tick
  std::string channels_json_;  // last hub snapshot, refreshed every tick for the dashboard
  // For rates on the dashboard.
  uint64_t last_delivered_ = 0;
  uint64_t last_bytes_ = 0;
  uint64_t last_received_ = 0;
  uint64_t last_tick_ms_ = 0;
  LatencyHistogram::Counts last_latency_{};
};

}  // namespace ssegate::admin
