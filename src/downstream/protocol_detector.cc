#include "downstream/protocol_detector.h"

#include <cstring>

#include "base/log.h"
#include "base/metrics.h"
#include "downstream/http1_connection.h"
#include "downstream/http2_connection.h"

namespace ssegate::downstream {

namespace {
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}  // namespace

ProtocolDetector::ProtocolDetector(worker::Worker& worker,
                                   std::shared_ptr<const DownstreamContext> ctx,
                                   std::shared_ptr<const ListenerSpec> spec, int reject_status)
    : worker_(worker),
      ctx_(std::move(ctx)),
      spec_(std::move(spec)),
      reject_status_(reject_status) {}

void ProtocolDetector::start(uv_stream_t* server) {
  transport_ = std::make_unique<net::Transport>(worker_.loop(), spec_->tls);
  worker_.addConnection(this);
  since_ms_ = static_cast<int64_t>(uv_now(worker_.loop()));
  int r = transport_->accept(server);
  if (r == 0) r = transport_->start(this);
  if (r != 0) close(uv_strerror(r));
}

void ProtocolDetector::onTransportData(const char* data, size_t len) {
  if (state_ != State::kDetecting) return;
  if (transport_->tls()) {
    bool h2 = transport_->alpn() == "h2";
    buffered_.assign(data, len);
    if (h2 ? !spec_->http2 : !spec_->http1) {
      close("no protocol agreed through ALPN");
      return;
    }
    handOver(h2);
    return;
  }
  buffered_.append(data, len);
  size_t n = std::min(buffered_.size(), kPreface.size());
  bool prefix = memcmp(buffered_.data(), kPreface.data(), n) == 0;
  if (prefix && n < kPreface.size()) return;  // could still be the preface: wait for more
  if (prefix && spec_->http2) {
    handOver(true);
  } else if (spec_->http1) {
    handOver(false);
  } else {
    close("not an HTTP/2 client preface on an h2c-only listener");
  }
}

void ProtocolDetector::handOver(bool http2) {
  std::unique_ptr<net::Transport> t = std::move(transport_);
  std::string initial = std::move(buffered_);
  state_ = State::kClosed;
  worker_.removeConnection(this);  // the connection's count passes to the new owner
  if (http2) {
    auto* conn = new Http2Connection(worker_, ctx_);
    conn->start(std::move(t), reject_status_, initial);
  } else {
    auto* conn = new Http1Connection(worker_, ctx_);
    conn->start(std::move(t), reject_status_, initial);
  }
  // The transport re-reads its handler after this call returns and never touches us again.
  delete this;
}

void ProtocolDetector::flush() {
  if (state_ == State::kDetecting && transport_->flush() < 0) close("write failed");
}

void ProtocolDetector::onTransportWritable() {
  if (state_ == State::kDetecting) worker_.markDirty(this);
}

void ProtocolDetector::onSweep(int64_t now_ms) {
  if (state_ == State::kDetecting &&
      now_ms - since_ms_ >= ctx_->config->limits.request_header_timeout.count()) {
    // Bytes this loop has not read yet mean the client sent in time and the worker is behind (a
    // TLS handshake backlog in a reconnect storm): closing would turn our queue into a retry. A
    // slow or silent client has nothing pending.
    if (transport_->inputPending()) return;
    metrics().reject(Reject::kHeaderTimeout);
    close(transport_->tls() ? "TLS handshake timeout" : "no request in time");
  }
}

void ProtocolDetector::close(const char* reason) {
  if (state_ == State::kClosed) return;
  if (transport_->tls()) {
    LOG_DEBUG(spec_->name, "connection from " << transport_->peerIp() << " closed: " << reason);
  }
  state_ = State::kClosed;
  worker_.removeConnection(this);
  ctx_->shared->releaseConnection();
  transport_->close();
}

void ProtocolDetector::onTransportClosed() {
  delete this;  // the last call from the transport, which goes with us
}

}  // namespace ssegate::downstream
