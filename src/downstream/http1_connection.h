// Http1Connection: one downstream HTTP/1.1 connection carrying at most one SSE stream.
//
// State machine (one request per connection, no pipelining):
//   kReadingHead --GET on a route--> kAwaitingChannel --hub answers 200--> kStreaming
//        |                                  |                                  |
//        +--bad request/timeout/limit--> kClosing (error response, lingering close)
//   Any state --peer gone/shed/shutdown--> closed (handle closing, then deleted).
// The head is parsed incrementally with llhttp (strict); the gateway itself rejects what llhttp
// lets through: obs-fold, bare CR, request bodies and bytes pipelined after the request.
// While streaming it is a worker::Subscription: events are appended to the transport's write
// queue as references to the shared encoded bytes and flushed once per loop turn. The transport
// (cleartext or TLS) is chosen by the listener; this class never sees ciphertext.
//
// Thread: its worker's loop. Owner: itself; it is deleted when its transport has closed.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <string>

#include "downstream/access_log.h"
#include "downstream/admission.h"
#include "downstream/context.h"
#include "net/transport.h"
#include "worker/subscription.h"
#include "worker/worker.h"
#include "worker/worker_connection.h"

namespace ssegate::downstream {

class Http1Connection final : public worker::WorkerConnection,
                              public worker::Subscription,
                              public net::Transport::Handler {
 public:
  Http1Connection(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx);
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // Takes over an accepted transport (reading or not yet) and `initial` bytes already read from
  // it. With `reject_status` != 0 (e.g. 503 over max_connections), answers that status at once
  // instead of reading a request. The connection was counted by SharedState::admitConnection();
  // this object releases that count when it closes.
  void start(std::unique_ptr<net::Transport> transport, int reject_status,
             std::string_view initial = {});

  // WorkerConnection
  void flush() override;
  void onSweep(int64_t now_ms) override;
  void shutdown() override;
  void drainAt(int64_t deadline_ms) override;
  void onReload(const config::Config& config, int64_t deadline_ms) override;
  // Subscription
  void onSubscribeResult(worker::SubscribeResult&& result) override;
  void onEvents(const worker::EventBatch& events) override;
  void onChannelFinal(int status) override;
  // Transport::Handler
  void onTransportData(const char* data, size_t len) override;
  void onTransportEnd(const char* reason) override;
  void onTransportWritable() override;
  void onTransportClosed() override;

 private:
  struct Head;
  enum class State { kReadingHead, kAwaitingChannel, kStreaming, kClosing, kClosed };

  ~Http1Connection() override;
  bool scanHead(const char* data, size_t len);
  void onHeadComplete(size_t consumed, size_t available);
  void handleRequest();
  void onAdmission(Admission&& a);
  void respondError(int status, std::string_view body, std::string_view extra = {});
  void append(const channel::EncodedEventPtr& event);
  void shed(const char* why);
  // Ends the stream (last chunk, lingering close); `reason` goes to the access log.
  void finishStream(const char* reason);
  void drainStreamAt(int64_t deadline_ms, const char* reason);
  void endForDrain();
  void close(const char* reason);
  int64_t now() const;

  static const llhttp_settings_t* settings();
  static void finishHeaderLine(Head& h);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);

  worker::Worker& worker_;
  std::shared_ptr<const DownstreamContext> ctx_;
  State state_ = State::kReadingHead;
  std::unique_ptr<net::Transport> transport_;
  int tls_ = 0;                // metrics index: 1 over TLS
  int64_t since_ms_ = 0;       // accepted (kReadingHead) or closing started (kClosing)
  int64_t last_send_ms_ = 0;   // last bytes queued while streaming, for keepalives
  int64_t soft_since_ms_ = 0;  // when the queue went over soft_bytes (0 = under)
  bool chunked_ = true;        // HTTP/1.1 chunked; HTTP/1.0 close-delimited
  const config::Route* route_ = nullptr;
  int64_t drain_at_ms_ = 0;                // 0 = not draining
  const char* drain_reason_ = "draining";  // why the stream ends at drain_at_ms_
  AccessRecord access_;                    // the access log line, written once when it ends
  std::shared_ptr<void> admission_;        // an admission still deciding (cancelled if dropped)
  std::shared_ptr<void> slot_;             // per-user/per-IP cap slot, released with the connection
  std::string response_headers_;           // extra headers from admission (CORS) for the 200

  // Request head, only while kReadingHead.
  std::unique_ptr<Head> head_;
};

}  // namespace ssegate::downstream
