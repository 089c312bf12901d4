// StreamConnection: one accepted TCP connection of the demo origin.
//
// Owned by OriginServer (which deletes it in the close callback); loop thread only.
// State machine: kReadingRequest (llhttp parses one request head, at most kMaxHeadBytes) ->
// kStreaming (subscribed to a ChannelPublisher; further input is ignored) or kClosing (a short
// response is written, then the connection closes). One uv_write in flight at a time; queued
// chunks stay referenced until its callback. A connection whose backlog passes kMaxBacklogBytes
// is closed as too slow (the origin never waits on a subscriber).
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace demo {

class OriginServer;
class ChannelPublisher;
using Bytes = std::shared_ptr<const std::string>;

class StreamConnection {
 public:
  static constexpr size_t kMaxHeadBytes = 16 * 1024;
  static constexpr size_t kMaxBacklogBytes = 64 * 1024 * 1024;
  static constexpr size_t kMaxBufs = 64;

  explicit StreamConnection(OriginServer* server);
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  // Call once after uv_accept succeeded on stream().
  void start();
  // Queues bytes (shared, never copied) and writes as soon as possible.
  void send(const Bytes& bytes);
  // Closes the connection; the server deletes it from the close callback. Idempotent. A stream's
  // close is logged with the reason (unless --quiet).
  void close(const char* reason);

  size_t subscriberIndex() const { return subscriber_index_; }
  void setSubscriberIndex(size_t index) { subscriber_index_ = index; }

 private:
  enum class State { kReadingRequest, kStreaming, kClosing, kClosed };

  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onClose(uv_handle_t* handle);
  static int onUrl(llhttp_t* parser, const char* at, size_t length);
  static int onHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* parser);
  static int onMessageComplete(llhttp_t* parser);
  static const llhttp_settings_t& parserSettings();

  void handleRead(ssize_t nread, const uv_buf_t* buf);
  void handleRequest();
  void respondAndClose(int status, const char* reason, const std::string& body);
  size_t fillBufs(uv_buf_t* bufs) const;  // the queue's first (up to kMaxBufs) unsent pieces
  void consume(size_t written);           // drops written bytes from the queue's front
  void flush();
  void handleWrite(int status);

  OriginServer* server_;
  uv_tcp_t tcp_;
  uv_write_t write_req_;
  llhttp_t parser_;
  State state_ = State::kReadingRequest;
  std::string peer_;
  std::string url_;
  std::string header_field_;
  std::string header_value_;
  std::string last_event_id_;
  bool has_last_event_id_ = false;
  size_t head_bytes_ = 0;
  uint64_t stream_start_ns_ = 0;
  ChannelPublisher* channel_ = nullptr;
  size_t subscriber_index_ = 0;
  std::deque<Bytes> queue_;  // front in_flight_ entries belong to the current uv_write
  size_t in_flight_ = 0;
  size_t front_offset_ = 0;  // bytes of queue_.front() already written by uv_try_write
  size_t queued_bytes_ = 0;
};

}  // namespace demo
