// AuthRequestClient: one nginx-style auth subrequest (identity.auth_request, DESIGN A3): a
// "GET <path>" over HTTP/1.1 (http:// only) to the app, carrying the subscriber's Cookie and
// Authorization, whose answer decides admission. Only the status and the head matter: the client
// stops at the end of the response head.
//
// State machine: kConnecting (resolving too, net::TcpDialer) -> kAwaitingHead -> kDone. One timer
// bounds the whole exchange (auth_request.timeout). The response head is parsed with llhttp and
// capped at kMaxHeadBytes.
//
// Thread: the worker loop passed to start(). Owner: itself; it deletes itself once its handles
// have closed after kDone. The caller holds the handle start() returns: dropping it cancels the
// request, and the callback is then never called (it is destroyed, uncalled, with the client).
// The callback is called at most once, after the client has stopped using its handles, and may
// drop the handle from inside.
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "identity/auth_cache.h"
#include "net/tcp_dialer.h"

namespace ssegate::downstream {

class AuthRequestClient final : private net::TcpDialer::Events {
 public:
  static constexpr size_t kMaxHeadBytes = 16 * 1024;

  // Where the subrequest goes, parsed once per configuration from auth_request.url.
  struct Target {
    std::string host;  // without brackets
    uint16_t port = 80;
    std::string path;         // path and query, "/" when the url has none
    std::string host_header;  // "host[:port]" as the Host header
  };
  // nullopt (and a reason) for anything but an http:// url.
  static std::optional<Target> parseTarget(const std::string& url, std::string* error);

  struct Outcome {
    bool ok = false;              // a complete response head arrived
    identity::AuthAnswer answer;  // when ok: status, the user header, WWW-Authenticate
    std::string error;            // when !ok: why (for logs; no credential bytes)
  };
  using Callback = std::function<void(Outcome&&)>;

  // Starts the subrequest. `user_header` names the response header holding the identity; empty
  // cookie/authorization values are not sent.
  static std::shared_ptr<void> start(uv_loop_t* loop, const Target& target, std::string user_header,
                                     std::chrono::milliseconds timeout, const std::string& cookie,
                                     const std::string& authorization, Callback callback);

 private:
  enum class State { kConnecting, kAwaitingHead, kDone };
  struct Handle;

  AuthRequestClient(uv_loop_t* loop, std::string user_header, Callback callback);
  ~AuthRequestClient() = default;
  void finish(Outcome&& outcome);
  void fail(const std::string& why);
  void abort();

  // net::TcpDialer::Events
  void onDialed(int status, const char* step) override;
  void onTimer() override;
  void onRead(ssize_t nread, const char* data) override;
  void onWriteFailed(int status) override;
  void onClosed() override;

  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);
  void finishHeaderLine();

  std::string user_header_;
  Callback callback_;
  Handle* handle_ = nullptr;  // null once finished or cancelled
  State state_ = State::kConnecting;
  bool aborted_ = false;
  net::TcpDialer dialer_;
  std::string request_;
  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  size_t head_bytes_ = 0;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  bool head_complete_ = false;
  identity::AuthAnswer answer_;
  char read_buffer_[4096];
};

}  // namespace ssegate::downstream
