#include "downstream/listener.h"

#include "base/log.h"
#include "downstream/http1_connection.h"
#include "downstream/protocol_detector.h"

namespace ssegate::downstream {

Listener::Listener(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx, int fd,
                   std::shared_ptr<const ListenerSpec> spec)
    : worker_(worker), ctx_(std::move(ctx)), fd_(fd), spec_(std::move(spec)) {}

int Listener::start() {
  uv_tcp_init(worker_.loop(), &tcp_);
  tcp_.data = this;
  int r = uv_tcp_open(&tcp_, fd_);
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 4096, &Listener::onConnection);
  if (r != 0) LOG_ERROR(spec_->name, "listen failed: " << uv_strerror(r));
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
    LOG_WARN(self->spec_->name, "accept error: " << uv_strerror(status));
    return;
  }
  const DownstreamContext& ctx = *self->ctx_;
  // Counted from here on; the detector or connection that ends up owning it releases it.
  const bool fits =
      ctx.shared->admitConnection(static_cast<int64_t>(ctx.config->limits.max_connections));
  int reject = 0;
  if (ctx.shared->draining.load(std::memory_order_relaxed) || !fits) reject = 503;
  if (self->spec_->tls || self->spec_->http2) {
    auto* detector = new ProtocolDetector(self->worker_, self->ctx_, self->spec_, reject);
    detector->start(server);  // on failure it has already scheduled its own deletion
    return;
  }
  auto transport = std::make_unique<net::Transport>(self->worker_.loop(), nullptr);
  int r = transport->accept(server);
  auto* conn = new Http1Connection(self->worker_, self->ctx_);
  net::Transport* t = transport.get();
  conn->start(std::move(transport), r == 0 ? reject : 0);
  if (r == 0) r = t->start(conn);
  if (r != 0) conn->onTransportEnd(uv_strerror(r));
}

}  // namespace ssegate::downstream
