#include "admin/admin_server.h"

#include <nlohmann/json.hpp>

#include "admin/admin_connection.h"
#include "admin/dashboard.h"
#include "base/log.h"
#include "base/metrics.h"
#include "net/address.h"

namespace ssegate::admin {

namespace {
nlohmann::json channelsJson(const std::vector<worker::ChannelInfo>& list) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : list) {
    arr.push_back({{"channel", c.upstream + c.path},
                   {"upstream", c.upstream},
                   {"path", c.path},
                   {"state", c.state},
                   {"subscribers", c.subscribers},
                   {"last_event_id", c.last_event_id},
                   {"events_received", c.events_received}});
  }
  return arr;
}

// Ids and paths come from origins: never let invalid UTF-8 make dump() throw.
std::string dumpSafe(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, Mailbox* loop_mailbox, worker::Hub* hub,
                         worker::SharedState* shared)
    : loop_(loop), mailbox_(loop_mailbox), hub_(hub), shared_(shared) {}

AdminServer::~AdminServer() = default;

int AdminServer::start(const std::string& host, uint16_t port) {
  auto fd = net::openListenSocket(host, port, 128);
  if (!fd) return -errno;
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  int r = uv_tcp_open(&tcp_, *fd);
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 128, &AdminServer::onConnection);
  uv_timer_init(loop_, &tick_timer_);
  tick_timer_.data = this;
  uv_timer_start(&tick_timer_, &AdminServer::onTick, 1000, 1000);
  started_ = true;
  return r;
}

void AdminServer::close() {
  if (!started_) return;
  started_ = false;
  std::vector<AdminConnection*> conns;
  for (auto& [id, c] : conns_) conns.push_back(c);
  for (auto* c : conns) c->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
}

void AdminServer::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<AdminServer*>(server->data);
  if (status < 0) return;
  uint64_t id = self->next_id_++;
  auto* conn = new AdminConnection(self, id);
  self->conns_[id] = conn;
  conn->start(server);
}

void AdminServer::forget(AdminConnection* conn) {
  conns_.erase(conn->id());
}

void AdminServer::handle(AdminConnection* conn, const std::string& method,
                         const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  if (method != "GET") {
    conn->respond(405, "text/plain", "method not allowed\n");
    return;
  }
  if (path == "/healthz") {
    conn->respond(200, "text/plain", "ok\n");
  } else if (path == "/readyz") {
    bool ready = shared_->ready.load() && !shared_->draining.load();
    conn->respond(ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n");
  } else if (path == "/metrics") {
    conn->respond(200, "text/plain; version=0.0.4", metrics().renderPrometheus());
  } else if (path == "/channels") {
    requestChannels(conn->id());
  } else if (path == "/") {
    conn->respond(200, "text/html; charset=utf-8", std::string(dashboardHtml()));
  } else if (path == "/dashboard/events") {
    conn->startStream();
    if (!last_snapshot_.empty()) conn->send("data: " + last_snapshot_ + "\n\n");
  } else {
    conn->respond(404, "text/plain", "not found\n");
  }
}

void AdminServer::requestChannels(uint64_t conn_id) {
  worker::Hub* hub = hub_;
  Mailbox* mailbox = mailbox_;
  AdminServer* self = this;
  hub_->post([hub, mailbox, self, conn_id] {
    auto snapshot = hub->snapshot();
    mailbox->post([self, conn_id, snapshot = std::move(snapshot)] {
      auto it = self->conns_.find(conn_id);
      if (it == self->conns_.end()) return;
      it->second->respond(200, "application/json", dumpSafe(channelsJson(snapshot)) + "\n");
    });
  });
}

void AdminServer::onTick(uv_timer_t* t) {
  static_cast<AdminServer*>(t->data)->tick();
}

void AdminServer::tick() {
  // Runs every second whether or not a dashboard is open, so every frame is a true per-second
  // rate over a known interval and a new viewer gets a snapshot at most one second old.
  worker::Hub* hub = hub_;
  Mailbox* mailbox = mailbox_;
  AdminServer* self = this;
  hub_->post([hub, mailbox, self] {
    auto snapshot = hub->snapshot();
    mailbox->post([self, snapshot = std::move(snapshot)] {
      self->channels_json_ = dumpSafe(channelsJson(snapshot));
      self->last_snapshot_ = self->dashboardSnapshot();
      std::string frame = "data: " + self->last_snapshot_ + "\n\n";
      std::vector<AdminConnection*> streams;
      for (auto& [id, c] : self->conns_) {
        if (c->streaming()) streams.push_back(c);
      }
      for (auto* c : streams) c->send(frame);
    });
  });
}

std::string AdminServer::dashboardSnapshot() {
  Metrics& m = metrics();
  auto rd = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  int64_t connections = 0;
  for (auto& row : m.downstream_connections) {
    for (auto& v : row) connections += rd(v);
  }
  uint64_t delivered = rd(m.events_delivered);
  uint64_t bytes = rd(m.bytes_sent);
  uint64_t received = m.eventsReceivedTotal();
  nlohmann::json j;
  j["connections"] = connections;
  j["subscriptions"] = rd(m.subscriptions);
  j["channels"] = rd(m.channels);
  j["events_delivered"] = delivered;
  uint64_t now = uv_now(loop_);
  double seconds = last_tick_ms_ == 0 ? 1.0 : static_cast<double>(now - last_tick_ms_) / 1000.0;
  if (seconds <= 0) seconds = 1.0;
  auto rate = [seconds](uint64_t now_v, uint64_t then_v) {
    return static_cast<uint64_t>(static_cast<double>(now_v - then_v) / seconds + 0.5);
  };
  j["deliveries_per_s"] = rate(delivered, last_delivered_);
  j["bytes_per_s"] = rate(bytes, last_bytes_);
  j["events_in_per_s"] = rate(received, last_received_);
  // Latency over the last interval, not since start-up.
  LatencyHistogram::Counts counts = m.delivery_latency.counts();
  LatencyHistogram::Counts window{};
  for (size_t i = 0; i < counts.size(); ++i) window[i] = counts[i] - last_latency_[i];
  last_latency_ = counts;
  j["latency_p50"] = LatencyHistogram::quantileOf(window, 0.5);
  j["latency_p99"] = LatencyHistogram::quantileOf(window, 0.99);
  last_tick_ms_ = now;
  nlohmann::json rejected = nlohmann::json::object();
  for (size_t i = 0; i < m.rejected.size(); ++i) {
    rejected[rejectName(static_cast<Reject>(i))] = rd(m.rejected[i]);
  }
  j["rejected"] = rejected;
  j["channel_list"] = channels_json_.empty()
                          ? nlohmann::json::array()
                          : nlohmann::json::parse(channels_json_, nullptr, false);
  last_delivered_ = delivered;
  last_bytes_ = bytes;
  last_received_ = received;
  return dumpSafe(j);
}

}  // namespace ssegate::admin
