#include "net/tcp_dialer.h"

#include <netdb.h>

#include "net/address.h"

namespace ssegate::net {

// A write of a private copy; the request and its bytes go together.
struct TcpDialer::Write {
  uv_write_t req;
  std::string bytes;
};

TcpDialer::TcpDialer(uv_loop_t* loop, Events* events) : loop_(loop), events_(events) {
  // Open from the start, so that close() always has a handle to wait for: onClosed() then
  // never runs inside close(), even before dial().
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  pending_ = 1;
}

void TcpDialer::dial(const std::string& host, uint16_t port, uint64_t timeout_ms) {
  armTimer(timeout_ms);
  sockaddr_storage ss;
  if (toSockaddr(host, port, &ss)) {
    connectTo(reinterpret_cast<sockaddr*>(&ss));
    return;
  }
  resolve_.data = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string service = std::to_string(port);
  int r = uv_getaddrinfo(loop_, &resolve_, &TcpDialer::onResolved, host.c_str(), service.c_str(),
                         &hints);
  if (r != 0) {
    events_->onDialed(r, "resolve");
    return;
  }
  resolving_ = true;
  ++pending_;
}

void TcpDialer::onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* self = static_cast<TcpDialer*>(req->data);
  self->resolving_ = false;
  if (!self->closing_) {
    if (status != 0 || res == nullptr) {
      self->events_->onDialed(status != 0 ? status : UV_EAI_NONAME, "resolve");
    } else {
      self->connectTo(res->ai_addr);
    }
  }
  if (res) uv_freeaddrinfo(res);
  self->release();
}

void TcpDialer::connectTo(const sockaddr* addr) {
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  tcp_open_ = true;
  ++pending_;
  uv_tcp_nodelay(&tcp_, 1);
  connect_.data = this;
  int r = uv_tcp_connect(&connect_, &tcp_, addr, &TcpDialer::onConnect);
  if (r != 0) events_->onDialed(r, "connect");
}

void TcpDialer::onConnect(uv_connect_t* req, int status) {
  auto* self = static_cast<TcpDialer*>(req->data);
  if (self->closing_) return;  // cancelled by close(): the close callback follows
  self->events_->onDialed(status, "connect");
}

void TcpDialer::armTimer(uint64_t ms) {
  if (!closing_) uv_timer_start(&timer_, &TcpDialer::onTimerCb, ms, 0);
}

void TcpDialer::onTimerCb(uv_timer_t* timer) {
  auto* self = static_cast<TcpDialer*>(timer->data);
  if (!self->closing_) self->events_->onTimer();
}

int TcpDialer::startReading(char* buffer, size_t size) {
  read_buffer_ = buffer;
  read_size_ = size;
  return uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &TcpDialer::onAlloc,
                       &TcpDialer::onReadCb);
}

void TcpDialer::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<TcpDialer*>(handle->data);
  *buf = uv_buf_init(self->read_buffer_, static_cast<unsigned>(self->read_size_));
}

void TcpDialer::onReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<TcpDialer*>(stream->data);
  if (self->closing_ || nread == 0) return;
  self->events_->onRead(nread, buf->base);
}

int TcpDialer::write(std::string bytes) {
  auto* w = new Write;
  w->bytes = std::move(bytes);
  w->req.data = this;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int r =
      uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1, &TcpDialer::onWriteDone);
  if (r != 0) delete w;
  return r;
}

void TcpDialer::onWriteDone(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<Write*>(req);
  auto* self = static_cast<TcpDialer*>(req->data);
  delete w;
  // Write callbacks run before the socket's close callback: self is alive.
  if (status != 0 && !self->closing_) self->events_->onWriteFailed(status);
}

void TcpDialer::close() {
  if (closing_) return;
  closing_ = true;
  if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_));
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &TcpDialer::onHandleClosed);
  if (tcp_open_) uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &TcpDialer::onHandleClosed);
}

void TcpDialer::onHandleClosed(uv_handle_t* handle) {
  static_cast<TcpDialer*>(handle->data)->release();
}

void TcpDialer::release() {
  if (--pending_ == 0 && closing_) {
    events_->onClosed();  // may delete the owner and this
  }
}

}  // namespace ssegate::net
