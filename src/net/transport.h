// Transport: one accepted downstream TCP connection, cleartext or TLS (through a TlsSession on
// memory BIOs). It moves bytes and knows nothing of HTTP: the handler gets plaintext in and
// queues plaintext segments out (references to shared bytes, see WriteQueue).
//
// Writes: the plaintext queue is the connection's backlog (what the slow-subscriber limits
// measure). With TLS only as much plaintext is encrypted as the socket takes: a bounded batch
// whenever the ciphertext of the previous one has been written. One uv_write in flight.
// Close: close() -> libuv closes the handle -> Handler::onTransportClosed(), after which the
// handler may delete itself and this transport. No other callback comes after close().
//
// State: kOpen --shutdownWrite()--> kShuttingDown (flush, close_notify, FIN) --close()--> kClosed
// Thread: its worker's loop. Owner: the connection that is its current handler.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "net/tls_context.h"
#include "net/tls_session.h"
#include "net/write_queue.h"

namespace ssegate::net {

class Transport {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Plaintext from the peer. The handler may call close() or hand the transport to another
    // handler (setHandler) inside this call.
    virtual void onTransportData(const char* data, size_t len) = 0;
    // The peer closed, a read/write failed or TLS failed: the handler should close().
    virtual void onTransportEnd(const char* reason) = 0;
    // Queued bytes can move again (a write completed): flush() soon.
    virtual void onTransportWritable() = 0;
    // The handle is closed; last call.
    virtual void onTransportClosed() = 0;
  };

  // `tls` null: cleartext.
  Transport(uv_loop_t* loop, std::shared_ptr<TlsContext> tls);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Accepts the pending connection of `server` (0 or a libuv error; on error, close()).
  int accept(uv_stream_t* server);
  // Starts reading; callbacks go to `handler`.
  int start(Handler* handler);
  void setHandler(Handler* handler) { handler_ = handler; }

  bool tls() const { return tls_ != nullptr; }
  // The ALPN protocol agreed on TLS ("" for cleartext or none).
  std::string_view alpn() const { return tls_ ? tls_->alpn() : std::string_view(); }
  const std::string& peerIp() const { return peer_ip_; }
  // Bytes from the peer that the kernel holds and this loop has not read yet (FIONREAD): the
  // peer did its part and the loop is behind, e.g. under a handshake backlog.
  bool inputPending() const;

  void append(std::shared_ptr<const void> owner, std::string_view bytes) {
    plain_.append(std::move(owner), bytes);
  }
  void appendCopy(std::string_view bytes) { plain_.appendCopy(bytes); }
  // Bytes queued and not yet taken by the kernel (plaintext, plus one batch of ciphertext).
  size_t queuedBytes() const { return plain_.bytes() + cipher_.bytes(); }
  // Nothing queued and no write in flight.
  bool idle() const;

  // Writes what it can. Returns 0, or a negative libuv error (the connection is broken).
  int flush();
  // After everything queued is written: TLS close_notify, then FIN. Reads go on (lingering).
  void shutdownWrite();
  void close();
  bool closed() const { return state_ == State::kClosed; }

 private:
  enum class State { kOpen, kShuttingDown, kClosed };

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  void onRead(ssize_t nread, const uv_buf_t* buf);
  void onCipher(const char* data, size_t len);
  void maybeShutdown();
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onWriteDone(void* owner, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onClosed(uv_handle_t* h);

  uv_loop_t* loop_;
  Handler* handler_ = nullptr;
  State state_ = State::kOpen;
  uv_tcp_t tcp_{};
  uv_shutdown_t shutdown_req_{};
  bool shutdown_sent_ = false;
  std::unique_ptr<TlsSession> tls_;
  WriteQueue plain_;
  WriteQueue cipher_{false};
  std::string peer_ip_;
};

}  // namespace ssegate::net
