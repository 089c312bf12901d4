// AuthRequestClient: one nginx-style auth subrequest (identity.auth_request, DESIGN A3): a
// "GET <path>" over HTTP/1.1 (http:// only) to the app, carrying the subscriber's Cookie and
// Authorization, whose answer decides admission. Only the status and the head matter: the client
// stops at the end of the response head.
//
// State machine: kResolving (hostnames only) -> kConnecting -> kAwaitingHead -> kDone. One timer
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

struct addrinfo;

namespace ssegate::downstream {

class AuthRequestClient {
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
  enum class State { kResolving, kConnecting, kAwaitingHead, kDone };
  struct Handle;

  AuthRequestClient(uv_loop_t* loop, std::string user_header, Callback callback);
  ~AuthRequestClient() = default;
  void begin(const Target& target, uint64_t timeout_ms);
  void connectTo(const sockaddr* addr);
  void onConnected(int status);
  void onRead(ssize_t nread, const uv_buf_t* buf);
  void finish(Outcome&& outcome);
  void fail(const std::string& why);
  void abort();
  void closeHandles();
  void handleClosed();

  static void onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void onConnect(uv_connect_t* req, int status);
  static void onWrite(uv_write_t* req, int status);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onTimeout(uv_timer_t* t);
  static void onHandleClosed(uv_handle_t* h);
  static int onHeaderField(llhttp_t* p, const char* at, size_t len);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);
  void finishHeaderLine();

  uv_loop_t* loop_;
  std::string user_header_;
  Callback callback_;
  Handle* handle_ = nullptr;  // null once finished or cancelled
  State state_ = State::kResolving;
  bool aborted_ = false;
  int open_handles_ = 0;  // handles and requests whose callbacks are still due
  bool resolving_ = false;
  bool tcp_open_ = false;
  uv_timer_t timer_{};
  uv_tcp_t tcp_{};
  uv_getaddrinfo_t resolve_{};
  uv_connect_t connect_{};
  uv_write_t write_{};
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
