// TcpDialer: the libuv side of one outbound TCP connection, shared by the origin connection
// (UpstreamConnection) and the auth subrequest (AuthRequestClient): resolve the host (numeric
// addresses skip the resolver), connect, one timer, reads into the owner's buffer, writes of
// private copies, and the orderly close of every handle and request.
//
// Contract:
// - The timer handle is open from construction; close() must be called before the owner goes.
// - dial() arms the timer for `timeout_ms` and then resolves and connects.
//   Events::onDialed() reports the outcome exactly once (status 0, or a libuv error and the step
//   that failed), unless close() comes first. It may run inside dial().
// - After a successful dial the owner writes with write() and reads with startReading(). A write
//   that fails later is reported by Events::onWriteFailed() (never for a write cancelled by
//   close()). Reads go to Events::onRead() with libuv's nread convention (UV_EOF at the end).
// - close() (idempotent) cancels the resolver and closes the socket and the timer. No event
//   other than onClosed() follows it; onClosed() comes exactly once, after libuv's last
//   callback, so the owner may delete itself (and this) there.
//
// Thread: the loop passed in. Owner: an object embedding the dialer and implementing Events;
// it must outlive the dialer's callbacks, which onClosed() marks the end of.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

struct addrinfo;

namespace ssegate::net {

class TcpDialer {
 public:
  class Events {
   public:
    // `step` is "resolve" or "connect" when status != 0.
    virtual void onDialed(int status, const char* step) = 0;
    virtual void onTimer() = 0;
    virtual void onRead(ssize_t nread, const char* data) = 0;
    virtual void onWriteFailed(int status) = 0;
    virtual void onClosed() = 0;

   protected:
    ~Events() = default;
  };

  TcpDialer(uv_loop_t* loop, Events* events);
  TcpDialer(const TcpDialer&) = delete;
  TcpDialer& operator=(const TcpDialer&) = delete;

  void dial(const std::string& host, uint16_t port, uint64_t timeout_ms);
  // Re-arms the single timer (one-shot).
  void armTimer(uint64_t ms);
  // Reads into `buffer` (owned by the caller, reused for every read). Returns 0 or a libuv error.
  int startReading(char* buffer, size_t size);
  // Queues a private copy of `bytes`. Returns 0 or a libuv error (nothing was queued).
  int write(std::string bytes);
  void close();
  bool closing() const { return closing_; }

 private:
  struct Write;
  void connectTo(const sockaddr* addr);
  void release();

  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onConnect(uv_connect_t* req, int status);
  static void onWriteDone(uv_write_t* req, int status);
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onTimerCb(uv_timer_t* timer);
  static void onHandleClosed(uv_handle_t* handle);

  uv_loop_t* loop_;
  Events* events_;
  uv_timer_t timer_{};
  uv_tcp_t tcp_{};
  uv_getaddrinfo_t resolve_{};
  uv_connect_t connect_{};
  char* read_buffer_ = nullptr;
  size_t read_size_ = 0;
  int pending_ =
      0;  // handles and requests whose callbacks are still due (the timer from the start)
  bool tcp_open_ = false;
  bool resolving_ = false;
  bool closing_ = false;
};

}  // namespace ssegate::net
