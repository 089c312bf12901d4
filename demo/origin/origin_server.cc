#include "origin_server.h"

#include <cinttypes>
#include <cstdio>

#include "stream_connection.h"

namespace demo {

OriginServer::OriginServer(uv_loop_t* loop, const OriginOptions& options)
    : loop_(loop), options_(options) {
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  uv_timer_init(loop_, &sweep_);
  sweep_.data = this;
}

OriginServer::~OriginServer() = default;

int OriginServer::start() {
  sockaddr_storage addr;
  int rc = uv_ip4_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) {
    rc = uv_ip6_addr(options_.host.c_str(), options_.port, reinterpret_cast<sockaddr_in6*>(&addr));
  }
  if (rc == 0) rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 4096, &OriginServer::onConnection);
  }
  if (rc != 0) return rc;
  uint64_t sweep_ms = static_cast<uint64_t>(options_.keepalive_s * 1000 / 4) + 1;
  uv_timer_start(&sweep_, &OriginServer::onSweep, sweep_ms, sweep_ms);
  return 0;
}

void OriginServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), nullptr);
  for (StreamConnection* connection : connections_) connection->close("server stopping");
  for (auto& [name, channel] : channels_) channel->close();
}

void OriginServer::onConnection(uv_stream_t* listener, int status) {
  auto* server = static_cast<OriginServer*>(listener->data);
  if (status < 0) {
    std::fprintf(stderr, "origin: accept failed: %s\n", uv_strerror(status));
    return;
  }
  auto* connection = new StreamConnection(server);
  server->connections_.insert(connection);
  if (uv_accept(listener, connection->stream()) != 0) {
    connection->close("accept failed");
    return;
  }
  connection->start();
}

void OriginServer::connectionClosed(StreamConnection* connection) {
  connections_.erase(connection);
  delete connection;
}

ChannelPublisher* OriginServer::channel(const std::string& name) {
  auto it = channels_.find(name);
  if (it == channels_.end()) {
    it = channels_.emplace(name, std::make_unique<ChannelPublisher>(loop_, name, options_)).first;
  }
  return it->second.get();
}

void OriginServer::streamStarted() {
  ++stream_requests_;
  if (++streams_ > max_streams_) max_streams_ = streams_;
}

std::string OriginServer::statsJson() const {
  char text[256];
  std::snprintf(text, sizeof(text),
                "{\"streams\":%" PRIu64 ",\"max_streams\":%" PRIu64 ",\"stream_requests\":%" PRIu64
                ",\"requests\":%" PRIu64 ",\"connections\":%zu,\"channels\":%zu}\n",
                streams_, max_streams_, stream_requests_, requests_, connections_.size(),
                channels_.size());
  return text;
}

void OriginServer::onSweep(uv_timer_t* timer) {
  auto* server = static_cast<OriginServer*>(timer->data);
  uint64_t now = uv_hrtime();
  for (auto& [name, channel] : server->channels_) channel->keepalive(now);
}

}  // namespace demo
