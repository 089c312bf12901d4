// UpstreamConnection: one HTTP/1.1 request to the origin for one channel, and its SSE response.
//
// Runs on the hub loop. Lifecycle: start() resolves (numeric hosts skip the resolver), connects
// within connect_timeout (for https: and completes a TLS handshake through memory BIOs, with
// certificate and host-name verification unless upstreams.*.tls.verify is false), sends `GET path`
// with Accept: text/event-stream, the upstream's configured headers and Last-Event-ID, and parses
// the response with llhttp (chunked or close-delimited). Body bytes go to the handler as they
// arrive. The connection ends exactly once, reported by Handler::onUpstreamEnd(); after that call
// (or after abort()) the object deletes itself once libuv has closed its handles, and calls nothing
// more. Owner: the HubChannel holds a raw pointer that it drops on onUpstreamEnd() or abort().
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "net/tls_session.h"

namespace ssegate::upstream {

enum class UpstreamEnd {
  kConnectFailed,  // resolve/connect failed or timed out
  kBadResponse,    // unparsable response, non-2xx status that is not definitive, wrong type
  kDefinitive,     // 204, 401, 403, 404, 410: the origin says stop (status in `status`)
  kIdleTimeout,    // nothing from the origin for idle_timeout
  kClosed,         // the stream ended (EOF, end of chunked body, or read error)
};
const char* upstreamEndName(UpstreamEnd end);

class UpstreamConnection {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // 200 with text/event-stream: the stream is established.
    virtual void onUpstreamStreaming() = 0;
    virtual void onUpstreamBody(std::string_view bytes) = 0;
    // The one final call. `status` is the HTTP status if a response head was read, else 0.
    virtual void onUpstreamEnd(UpstreamEnd end, int status, const std::string& detail) = 0;
  };

  UpstreamConnection(uv_loop_t* loop, const config::Upstream& upstream, std::string path,
                     std::string last_event_id, Handler* handler);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  void start();
  // Closes without calling the handler again; the object deletes itself later.
  void abort();

  static bool isDefinitiveStatus(int status) {
    return status == 204 || status == 401 || status == 403 || status == 404 || status == 410;
  }

 private:
  enum class State {
    kIdle,
    kResolving,
    kConnecting,
    kHandshaking,
    kAwaitingHead,
    kStreaming,
    kDone
  };

  ~UpstreamConnection() = default;
  void connectTo(const sockaddr* addr);
  void finish(UpstreamEnd end, const std::string& detail);
  void closeHandles();
  void handleClosed();
  void armTimer(int64_t ms);
  std::string buildRequest() const;
  void onRead(ssize_t nread, const uv_buf_t* buf);
  void onPlain(const char* data, size_t len);
  void onCipher(const char* data, size_t len);
  void sendRequest();
  // Writes `bytes` (a private copy); false if the write could not be queued.
  bool sendRaw(std::string bytes);
  bool sendTlsOutput();
  std::string endpoint() const;

  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onConnect(uv_connect_t* req, int status);
  static void onWriteDone(uv_write_t* req, int status);
  static void onRawWriteDone(uv_write_t* req, int status);
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onReadCb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onTimer(uv_timer_t* timer);
  static void onHandleClosed(uv_handle_t* handle);
  static int onHeadersComplete(llhttp_t* parser);
  static int onHeaderField(llhttp_t* parser, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* parser, const char* at, size_t len);
  static int onBody(llhttp_t* parser, const char* at, size_t len);
  static int onMessageComplete(llhttp_t* parser);

  uv_loop_t* loop_;
  const config::Upstream& upstream_;  // outlives us: the config is held by the hub
  std::string path_;
  std::string last_event_id_;
  Handler* handler_;
  State state_ = State::kIdle;
  bool aborted_ = false;

  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_getaddrinfo_t resolve_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
  int open_handles_ = 0;  // handles and requests whose callbacks are still due
  bool tcp_open_ = false;
  bool resolving_ = false;
  std::string request_;
  int64_t last_read_ms_ = 0;

  std::unique_ptr<net::TlsSession> tls_;  // https only

  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  int status_ = 0;
  std::string header_field_;
  std::string content_type_;
  bool in_content_type_ = false;
  bool in_value_ = false;
};

}  // namespace ssegate::upstream
