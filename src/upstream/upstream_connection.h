// UpstreamConnection: one HTTP/1.1 request to the origin for one channel, and its SSE response.
//
// Runs on the hub loop. Lifecycle: start() resolves and connects (net::TcpDialer) within
// connect_timeout (for https: and completes a TLS handshake through memory BIOs, with
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
#include "net/tcp_dialer.h"
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

class UpstreamConnection final : private net::TcpDialer::Events {
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
    kConnecting,  // resolving and connecting
    kHandshaking,
    kAwaitingHead,
    kStreaming,
    kDone
  };

  ~UpstreamConnection() = default;
  void finish(UpstreamEnd end, const std::string& detail);
  std::string buildRequest() const;
  void onPlain(const char* data, size_t len);
  void onCipher(const char* data, size_t len);
  // Writes `bytes` (a private copy); false (and finished) if the write could not be queued.
  bool sendRaw(std::string bytes);
  bool sendTlsOutput();
  std::string endpoint() const;

  // net::TcpDialer::Events
  void onDialed(int status, const char* step) override;
  void onTimer() override;
  void onRead(ssize_t nread, const char* data) override;
  void onWriteFailed(int status) override;
  void onClosed() override;

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

  net::TcpDialer dialer_;
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
