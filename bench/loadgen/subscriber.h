// Subscriber: one SSE subscription over its own TCP connection (HTTP/1.1).
//
// Owned by LoadGenerator; loop thread only. State machine:
//   kIdle -> kConnecting -> kWaitingHead -> kStreaming -> kClosing -> kIdle
// Any failure before the 200 head, and the end of a stream, report to the generator and close
// the handle; once closed (kIdle) the generator may connect() the same object again (retry).
//
// The socket is our own (non-blocking, watched by a uv_poll_t) rather than a uv_tcp_t, because
// reads use recvmsg() to get the kernel's receive timestamp (SO_TIMESTAMPNS): the moment the
// bytes reached this subscriber's socket, independent of when this busy process reads them.
// The fd is closed in the poll handle's close callback; both are renewed per connection attempt.
//
// Seam: connect() and close() are virtual so that MuxSubscriber (mux_subscriber.h) can carry the
// same subscription over a shared TLS and/or HTTP/2 connection; the bookkeeping, the HTTP/1.1
// codec and the SSE parser below are reused as they are.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http1_codec.h"
#include "sse_parser.h"

namespace loadgen {

class LoadGenerator;

// CLOCK_REALTIME in microseconds.
int64_t realtimeUs();

class Subscriber : public CodecListener, public SseListener {
 public:
  enum class State { kIdle, kConnecting, kWaitingHead, kStreaming, kClosing };
  enum class Failure { kConnect, kStatus, kClosed };

  Subscriber(LoadGenerator* generator, uint64_t index, uint64_t channel, std::string path);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  ~Subscriber() override = default;

  // REQUIRES: state() == kIdle. `source` (may be null) is bound before connecting.
  virtual void connect(const sockaddr_in* source);
  // Closes without reporting anything (end of the run). Idempotent.
  virtual void close();

  State state() const { return state_; }
  uint64_t index() const { return index_; }
  uint64_t channel() const { return channel_; }

  // Delivery bookkeeping, owned by LoadGenerator::onEvent().
  uint64_t last_seq = 0;
  uint64_t window_delivered = 0;
  bool eligible = false;  // streaming when the measurement window opened
  int attempts = 0;
  // --storm only: the id of the last event received (sent as Last-Event-ID when it is not
  // empty), whether an event arrived since the storm's reconnect, and seqs skipped/repeated since.
  std::string last_event_id;
  bool back = false;
  int64_t request_us = 0;  // CLOCK_REALTIME when the last request was handed to the kernel
  uint64_t storm_gaps = 0;
  uint64_t storm_dups = 0;

  // The response head and body of this subscription (also used by MuxConnection).
  bool onResponseHead(int status) override;
  void onBody(const char* data, size_t size) override;

 protected:
  // Reports the failure, closes, and reconnects later if the generator says so.
  void fail(Failure failure, int detail);
  // The stream ended after its 200 head.
  void end(const char* why);

  LoadGenerator* generator_;
  State state_ = State::kIdle;
  bool retry_after_close_ = false;
  Http1Codec codec_;
  SseParser sse_;

 private:
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onClose(uv_handle_t* handle);

  void onEvent(std::string_view id, std::string_view data) override;

  void handleConnected();
  void handleWritable();
  void handleReadable();

  uint64_t index_;
  uint64_t channel_;
  int fd_ = -1;
  uv_poll_t poll_;
  std::string request_;
  size_t request_sent_ = 0;
};

}  // namespace loadgen
