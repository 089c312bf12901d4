#include "net/transport.h"

#include <sys/ioctl.h>

#include <cstring>

#include "base/log.h"
#include "base/metrics.h"
#include "net/address.h"

namespace ssegate::net {

namespace {
constexpr size_t kReadBufferSize = 16 * 1024;
// Plaintext encrypted per batch: a few records, so that the plaintext queue (not ciphertext
// sitting in libuv) is what grows when the peer reads slowly.
constexpr size_t kTlsBatch = 64 * 1024;
constexpr size_t kRecord = 16 * 1024;
// Reads are consumed synchronously, so every connection of a thread shares these.
thread_local char t_read_buffer[kReadBufferSize];
thread_local char t_plain_buffer[TlsSession::kMinReadBuffer];
thread_local char t_record[kRecord];
}  // namespace

Transport::Transport(uv_loop_t* loop, std::shared_ptr<TlsContext> tls) : loop_(loop) {
  if (tls) tls_ = std::make_unique<TlsSession>(std::move(tls));
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
}

Transport::~Transport() = default;

int Transport::accept(uv_stream_t* server) {
  int r = uv_accept(server, stream());
  if (r != 0) return r;
  uv_tcp_nodelay(&tcp_, 1);
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) peer_ip_ = net::peerIp(fd);
  return 0;
}

int Transport::start(Handler* handler) {
  handler_ = handler;
  return uv_read_start(stream(), &Transport::onAlloc, &Transport::onReadCb);
}

bool Transport::inputPending() const {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd) != 0) return false;
  int n = 0;
  return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

bool Transport::idle() const {
  return plain_.empty() && cipher_.empty() && !plain_.writing() && !cipher_.writing() &&
         (!tls_ || tls_->pendingOutput() == 0);
}

void Transport::onAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(t_read_buffer, kReadBufferSize);
}

void Transport::onReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  static_cast<Transport*>(s->data)->onRead(nread, buf);
}

void Transport::onRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0 || state_ == State::kClosed) return;
  if (nread < 0) {
    handler_->onTransportEnd(nread == UV_EOF ? "peer closed"
                                             : uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (!tls_) {
    handler_->onTransportData(buf->base, static_cast<size_t>(nread));
    return;
  }
  onCipher(buf->base, static_cast<size_t>(nread));
}

void Transport::onCipher(const char* data, size_t len) {
  tls_->feed(data, len);
  if (tls_->state() == TlsSession::State::kHandshaking) {
    TlsSession::Io io = tls_->handshake();
    if (io == TlsSession::Io::kError) {
      std::string why = tls_->error();
      metrics().reject(Reject::kTlsHandshake);
      LOG_INFO("tls", "handshake with " << peer_ip_ << " failed: " << why);
      flush();  // the alert, if any
      handler_->onTransportEnd(why.c_str());
      return;
    }
    if (io != TlsSession::Io::kOk) {
      if (flush() < 0) handler_->onTransportEnd("write failed during the TLS handshake");
      return;
    }
    metrics().tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  }
  for (;;) {
    size_t n = 0;
    TlsSession::Io io = tls_->read(t_plain_buffer, sizeof(t_plain_buffer), &n);
    if (io == TlsSession::Io::kOk) {
      handler_->onTransportData(t_plain_buffer, n);  // may switch handler_ or close
      if (state_ == State::kClosed) return;
      continue;
    }
    if (io == TlsSession::Io::kWantMore) break;
    if (io == TlsSession::Io::kError) {
      metrics().reject(Reject::kTlsRecord);
      LOG_INFO("tls", "connection from " << peer_ip_ << " closed: " << tls_->error());
    }
    std::string why = io == TlsSession::Io::kClosed ? "peer closed (close_notify)" : tls_->error();
    handler_->onTransportEnd(why.c_str());
    return;
  }
  // Handshake messages, tickets or key updates to answer.
  if (tls_->pendingOutput() > 0 && flush() < 0) handler_->onTransportEnd("write failed");
}

int Transport::flush() {
  if (state_ == State::kClosed) return 0;
  if (!tls_) {
    int r = plain_.flush(stream(), this, &Transport::onWriteDone);
    if (r == 0) maybeShutdown();
    return r;
  }
  for (;;) {
    if (cipher_.writing()) return 0;
    if (!cipher_.empty()) {
      int r = cipher_.flush(stream(), this, &Transport::onWriteDone);
      if (r < 0) return r;
      if (!cipher_.empty() || cipher_.writing()) return 0;
    }
    // The socket took every ciphertext byte: encrypt the next batch.
    if (tls_->state() == TlsSession::State::kOpen) {
      size_t budget = kTlsBatch;
      while (budget > 0 && !plain_.empty()) {
        // Coalesce small segments (one event each) into full records.
        size_t n = 0;
        while (n < kRecord && !plain_.empty()) {
          std::string_view seg = plain_.front();
          size_t take = std::min(seg.size(), kRecord - n);
          memcpy(t_record + n, seg.data(), take);
          n += take;
          plain_.pop(take);
        }
        if (!tls_->write(std::string_view(t_record, n))) return UV_EPROTO;
        budget = n < budget ? budget - n : 0;
      }
    }
    if (tls_->pendingOutput() == 0) break;
    auto out = std::make_shared<std::string>();
    tls_->takeOutput(out.get());
    std::string_view view(*out);
    cipher_.append(std::move(out), view);
  }
  maybeShutdown();
  return 0;
}

void Transport::shutdownWrite() {
  if (state_ != State::kOpen) return;
  state_ = State::kShuttingDown;
  if (flush() < 0) handler_->onTransportEnd("write failed");
}

void Transport::maybeShutdown() {
  if (state_ != State::kShuttingDown || shutdown_sent_ || !plain_.empty() || plain_.writing() ||
      !cipher_.empty() || cipher_.writing()) {
    return;
  }
  if (tls_ && tls_->state() == TlsSession::State::kOpen) {
    tls_->shutdown();  // close_notify, then the FIN after it is written
    if (tls_->pendingOutput() > 0) {
      auto out = std::make_shared<std::string>();
      tls_->takeOutput(out.get());
      std::string_view view(*out);
      cipher_.append(std::move(out), view);
      int r = cipher_.flush(stream(), this, &Transport::onWriteDone);
      if (r < 0 || !cipher_.empty() || cipher_.writing()) return;  // FIN after the write
    }
  }
  shutdown_sent_ = true;
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, stream(), &Transport::onShutdown) != 0) {
    handler_->onTransportEnd("shutdown failed");
  }
}

void Transport::onWriteDone(void* owner, int status) {
  auto* self = static_cast<Transport*>(owner);
  if (self->state_ == State::kClosed) return;
  if (status < 0) {
    self->handler_->onTransportEnd(uv_strerror(status));
    return;
  }
  self->handler_->onTransportWritable();
}

void Transport::onShutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<Transport*>(req->data);
  // Reads go on until the peer closes (lingering close), bounded by the handler's timer.
  if (status < 0 && self->state_ != State::kClosed) self->handler_->onTransportEnd("shutdown");
}

void Transport::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Transport::onClosed);
}

void Transport::onClosed(uv_handle_t* h) {
  auto* self = static_cast<Transport*>(h->data);
  self->plain_.clear();
  self->cipher_.clear();
  self->tls_.reset();
  self->handler_->onTransportClosed();  // may delete the handler and this transport
}

}  // namespace ssegate::net
