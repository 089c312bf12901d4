// Http2Connection: one downstream HTTP/2 connection (TLS with ALPN h2, or h2c with prior
// knowledge) carrying many SSE streams, each an Http2Stream and a worker::Subscription.
//
// The codec is an nghttp2 server session; the connection feeds it plaintext from its transport
// and sends what it produces through the transport's write queue. DATA frames are sent with
// NGHTTP2_DATA_FLAG_NO_COPY: the 9-byte frame header is written into a small shared arena and
// the payload is a reference to the shared encoded event (no per-stream copy).
// Flow control: a stream whose window is closed keeps its pending events (deferred data) and
// never stalls the others; each stream's pending bytes are bounded by subscriber_buffer
// .hard_bytes (beyond: RST_STREAM CANCEL, counted as a slow-subscriber disconnect); the bytes
// queued on the socket are held to the same soft/hard limits as an HTTP/1.1 subscriber, and a
// connection over them is shed whole.
// Abuse: nghttp2's CONTINUATION limit, stream-reset rate limit, SETTINGS entries and outbound
// ACK limits are on; the header list is bounded by limits.max_request_header_bytes (431); a
// control-frame flood (PING/SETTINGS/empty frames) ends the connection with GOAWAY.
//
// State: kOpen --drain/reject/shutdown--> kGoingAway (GOAWAY sent, streams finish)
//        --no stream left and queue written--> kClosed (transport closing, then deleted).
// Thread: its worker's loop. Owner: itself; deleted when its transport has closed.
#pragma once

#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "downstream/admission.h"
#include "downstream/context.h"
#include "downstream/http2_allocator.h"
#include "downstream/http2_stream.h"
#include "net/transport.h"
#include "worker/worker.h"
#include "worker/worker_connection.h"

namespace ssegate::downstream {

class Http2Connection final : public worker::WorkerConnection, public net::Transport::Handler {
 public:
  Http2Connection(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx);
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Takes over an accepted transport and `initial` bytes already read from it (the client
  // preface at least). With `reject_status` != 0 the connection is refused with GOAWAY. The
  // connection was counted by SharedState::admitConnection(); this object releases the count.
  void start(std::unique_ptr<net::Transport> transport, int reject_status,
             std::string_view initial);

  // WorkerConnection
  void flush() override;
  void onSweep(int64_t now_ms) override;
  void shutdown() override;
  void drainAt(int64_t deadline_ms) override;
  void onReload(const config::Config& config, int64_t deadline_ms) override;
  // Transport::Handler
  void onTransportData(const char* data, size_t len) override;
  void onTransportEnd(const char* reason) override;
  void onTransportWritable() override;
  void onTransportClosed() override;

  // From Http2Stream (its Subscription calls).
  void onStreamSubscribed(Http2Stream& s, worker::SubscribeResult&& result);
  void onStreamEvents(Http2Stream& s, const worker::EventBatch& events);
  void onStreamChannelFinal(Http2Stream& s, int status);

 private:
  enum class State { kOpen, kGoingAway, kClosed };

  ~Http2Connection() override;
  bool createSession();
  void handleRequest(Http2Stream& s);
  void onAdmission(Http2Stream& s, Admission&& a);
  void respond(Http2Stream& s, int status, std::string_view extra_headers, bool with_body);
  void respondError(Http2Stream& s, int status, std::string_view body,
                    std::string_view extra_headers = {});
  void push(Http2Stream& s, const channel::EncodedEventPtr& frame);
  // END_STREAM after the pending bytes; `reason` goes to the access log.
  void endStream(Http2Stream& s, const char* reason);
  // Writes the stream's access log line unless it is written or no request head was read.
  void logStream(Http2Stream& s, std::string_view reason);
  void endForDrain(Http2Stream& s);
  void shedStream(Http2Stream& s);
  void releaseStream(Http2Stream& s);
  void goAway(uint32_t error_code, const char* why);
  void shed(const char* why);
  void close(const char* reason);
  int64_t now() const;
  // Appends the 9-byte frame header into the shared arena (no allocation per frame).
  void appendFrameHeader(const uint8_t* hd);

  // nghttp2 callbacks
  static const nghttp2_session_callbacks* callbacks();
  static ssize_t onSend(nghttp2_session*, const uint8_t* data, size_t len, int, void* user);
  static int onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* user);
  static ssize_t onReadData(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                            uint32_t* flags, nghttp2_data_source* source, void* user);
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static int onError(nghttp2_session*, int code, const char* msg, size_t len, void* user);

  worker::Worker& worker_;
  std::shared_ptr<const DownstreamContext> ctx_;
  State state_ = State::kOpen;
  std::unique_ptr<net::Transport> transport_;
  int tls_ = 0;  // metrics index
  // Where the session's frame buffer is; declared before session_, so it outlives it.
  Http2Allocator::FrameBuffer frame_buffer_;
  nghttp2_session* session_ = nullptr;
  // The frame buffer was written since its pages were last given back / since the last sweep.
  bool frame_pages_resident_ = false;
  bool framed_since_sweep_ = false;
  int64_t last_framed_ms_ = 0;
  std::unordered_map<int32_t, std::unique_ptr<Http2Stream>> streams_;
  std::vector<int32_t> over_limit_;           // streams whose pending bytes went over hard_bytes
  std::shared_ptr<std::vector<char>> arena_;  // frame headers referenced by the write queue
  int64_t soft_since_ms_ = 0;
  int64_t drain_at_ms_ = 0;
  uint32_t control_frames_ = 0;  // in the current sweep interval (flood detection)
  std::string client_ip_;
  bool in_recv_ = false;  // inside nghttp2_session_mem_recv
};

}  // namespace ssegate::downstream
