// Subscriber: one SSE subscription over its own TCP connection (HTTP/1.1).
//
// Owned by LoadGenerator; loop thread only. State machine:
//   kIdle -> kConnecting -> kWaitingHead -> kStreaming -> kClosing -> kIdle
// Any failure before the 200 head, and the end of a stream, report to the generator and close
// the handle; once closed (kIdle) the generator may connect() the same object again (retry).
// The uv_tcp_t is re-initialised per attempt and only touched between init and its close callback.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http1_codec.h"
#include "sse_parser.h"

namespace loadgen {

class LoadGenerator;

class Subscriber : public CodecListener, public SseListener {
 public:
  enum class State { kIdle, kConnecting, kWaitingHead, kStreaming, kClosing };
  enum class Failure { kConnect, kStatus, kClosed };

  Subscriber(LoadGenerator* generator, uint64_t index, uint64_t channel, std::string path);
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // REQUIRES: state() == kIdle. `source` (may be null) is bound before connecting.
  void connect(const sockaddr_in* source);
  // Closes without reporting anything (end of the run). Idempotent.
  void close();

  State state() const { return state_; }
  uint64_t index() const { return index_; }
  uint64_t channel() const { return channel_; }

  // Delivery bookkeeping, owned by LoadGenerator::onEvent().
  uint64_t last_seq = 0;
  uint64_t window_delivered = 0;
  bool eligible = false;  // streaming when the measurement window opened
  int attempts = 0;

 private:
  static void onConnect(uv_connect_t* req, int status);
  static void onWrite(uv_write_t* req, int status);
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onClose(uv_handle_t* handle);

  bool onResponseHead(int status) override;
  void onBody(const char* data, size_t size) override;
  void onEvent(std::string_view id, std::string_view data) override;

  void handleConnect(int status);
  void handleRead(ssize_t nread, const uv_buf_t* buf);
  // Reports the failure, closes, and reconnects later if the generator says so.
  void fail(Failure failure, int detail);
  // The stream ended after its 200 head.
  void end(const char* why);

  LoadGenerator* generator_;
  uint64_t index_;
  uint64_t channel_;
  State state_ = State::kIdle;
  bool retry_after_close_ = false;
  uv_tcp_t tcp_;
  uv_connect_t connect_req_;
  uv_write_t write_req_;
  std::string request_;
  Http1Codec codec_;
  SseParser sse_;
};

}  // namespace loadgen
