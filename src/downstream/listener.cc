#include "downstream/listener.h"

#include "base/log.h"
#include "downstream/http1_connection.h"

namespace ssegate::downstream {

Listener::Listener(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx, int fd,
                   std::string name)
    : worker_(worker), ctx_(std::move(ctx)), fd_(fd), name_(std::move(name)) {}

int Listener::start() {
  uv_tcp_init(worker_.loop(), &tcp_);
  tcp_.data = this;
  int r = uv_tcp_open(&tcp_, fd_);
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 4096, &Listener::onConnection);
  if (r != 0) LOG_ERROR(name_, "listen failed: " << uv_strerror(r));
  return r;
}

void Listener::close() {
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Listener::onClosed);
}

void Listener::onClosed(uv_handle_t* h) {
  delete static_cast<Listener*>(h->data);
}

void Listener::onConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Listener*>(server->data);
  if (status < 0) {
    LOG_WARN(self->name_, "accept error: " << uv_strerror(status));
    return;
  }
  const DownstreamContext& ctx = *self->ctx_;
  int reject = 0;
  if (ctx.shared->draining.load(std::memory_order_relaxed)) {
    reject = 503;
  } else if (ctx.shared->connections.load(std::memory_order_relaxed) >=
             static_cast<int64_t>(ctx.config->limits.max_connections)) {
    reject = 503;
  }
  auto* conn = new Http1Connection(self->worker_, self->ctx_);
  conn->start(server, reject);  // on failure it has already scheduled its own deletion
}

}  // namespace ssegate::downstream
