#include "downstream/auth_request_client.h"

#include <netdb.h>
#include <strings.h>

#include "base/log.h"
#include "config/value_syntax.h"
#include "net/address.h"

namespace ssegate::downstream {

// What the caller holds; its destruction cancels a request that is still running.
struct AuthRequestClient::Handle {
  AuthRequestClient* client = nullptr;
  ~Handle() {
    if (client != nullptr) client->abort();
  }
};

std::optional<AuthRequestClient::Target> AuthRequestClient::parseTarget(const std::string& url,
                                                                        std::string* error) {
  config::HttpUrl parsed;
  std::string why;
  if (!config::parseHttpUrl(url, &parsed, &why)) {
    if (error) *error = why;
    return std::nullopt;
  }
  if (parsed.https) {
    if (error) *error = "only http:// is supported for identity.auth_request.url";
    return std::nullopt;
  }
  Target t;
  t.host = parsed.host;
  t.port = parsed.port;
  t.path = parsed.path.empty() ? "/" : parsed.path;
  if (t.path[0] != '/') t.path = "/" + t.path;
  bool v6 = t.host.find(':') != std::string::npos;
  t.host_header = v6 ? "[" + t.host + "]" : t.host;
  if (t.port != 80) t.host_header += ":" + std::to_string(t.port);
  return t;
}

std::shared_ptr<void> AuthRequestClient::start(uv_loop_t* loop, const Target& target,
                                               std::string user_header,
                                               std::chrono::milliseconds timeout,
                                               const std::string& cookie,
                                               const std::string& authorization,
                                               Callback callback) {
  auto* client = new AuthRequestClient(loop, std::move(user_header), std::move(callback));
  auto handle = std::make_shared<Handle>();
  handle->client = client;
  client->handle_ = handle.get();
  client->request_ = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.host_header + "\r\n";
  if (!cookie.empty()) client->request_ += "Cookie: " + cookie + "\r\n";
  if (!authorization.empty()) client->request_ += "Authorization: " + authorization + "\r\n";
  client->request_ += "User-Agent: ssegate\r\nConnection: close\r\n\r\n";
  client->begin(target, static_cast<uint64_t>(timeout.count()));
  return handle;
}

AuthRequestClient::AuthRequestClient(uv_loop_t* loop, std::string user_header, Callback callback)
    : loop_(loop), user_header_(std::move(user_header)), callback_(std::move(callback)) {
  llhttp_settings_init(&settings_);
  settings_.on_header_field = &AuthRequestClient::onHeaderField;
  settings_.on_header_value = &AuthRequestClient::onHeaderValue;
  settings_.on_headers_complete = &AuthRequestClient::onHeadersComplete;
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

void AuthRequestClient::begin(const Target& target, uint64_t timeout_ms) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  ++open_handles_;
  uv_timer_start(&timer_, &AuthRequestClient::onTimeout, timeout_ms, 0);
  sockaddr_storage ss;
  if (net::toSockaddr(target.host, target.port, &ss)) {
    state_ = State::kConnecting;
    connectTo(reinterpret_cast<sockaddr*>(&ss));
    return;
  }
  resolve_.data = this;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(target.port);
  int r = uv_getaddrinfo(loop_, &resolve_, &AuthRequestClient::onResolved, target.host.c_str(),
                         port.c_str(), &hints);
  if (r != 0) {
    fail(std::string("resolve: ") + uv_strerror(r));
    return;
  }
  resolving_ = true;
  ++open_handles_;
}

void AuthRequestClient::onResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* self = static_cast<AuthRequestClient*>(req->data);
  self->resolving_ = false;
  if (self->state_ == State::kResolving) {
    if (status != 0 || res == nullptr) {
      self->fail(std::string("resolve: ") + uv_strerror(status));
    } else {
      self->state_ = State::kConnecting;
      self->connectTo(res->ai_addr);
    }
  }
  if (res) uv_freeaddrinfo(res);
  self->handleClosed();
}

void AuthRequestClient::connectTo(const sockaddr* addr) {
  uv_tcp_init(loop_, &tcp_);
  tcp_.data = this;
  tcp_open_ = true;
  ++open_handles_;
  uv_tcp_nodelay(&tcp_, 1);
  connect_.data = this;
  int r = uv_tcp_connect(&connect_, &tcp_, addr, &AuthRequestClient::onConnect);
  if (r != 0) fail(std::string("connect: ") + uv_strerror(r));
}

void AuthRequestClient::onConnect(uv_connect_t* req, int status) {
  static_cast<AuthRequestClient*>(req->data)->onConnected(status);
}

void AuthRequestClient::onConnected(int status) {
  if (state_ != State::kConnecting) return;  // finished or cancelled meanwhile
  if (status != 0) {
    fail(std::string("connect: ") + uv_strerror(status));
    return;
  }
  state_ = State::kAwaitingHead;
  uv_buf_t buf = uv_buf_init(request_.data(), static_cast<unsigned>(request_.size()));
  write_.data = this;
  int r = uv_write(&write_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                   &AuthRequestClient::onWrite);
  if (r != 0) {
    fail(std::string("write: ") + uv_strerror(r));
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &AuthRequestClient::onAlloc,
                &AuthRequestClient::onReadCb);
}

void AuthRequestClient::onWrite(uv_write_t* req, int status) {
  auto* self = static_cast<AuthRequestClient*>(req->data);
  if (status < 0 && self->state_ == State::kAwaitingHead) {
    self->fail(std::string("write: ") + uv_strerror(status));
  }
}

void AuthRequestClient::onAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<AuthRequestClient*>(h->data);
  *buf = uv_buf_init(self->read_buffer_, sizeof(self->read_buffer_));
}

void AuthRequestClient::onReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  static_cast<AuthRequestClient*>(s->data)->onRead(nread, buf);
}

void AuthRequestClient::onRead(ssize_t nread, const uv_buf_t* buf) {
  if (state_ != State::kAwaitingHead || nread == 0) return;
  if (nread < 0) {
    fail(nread == UV_EOF ? "connection closed before the response head"
                         : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
    return;
  }
  size_t len = static_cast<size_t>(nread);
  head_bytes_ += len;
  llhttp_errno_t err = llhttp_execute(&parser_, buf->base, len);
  if (head_complete_) {
    Outcome out;
    out.ok = true;
    out.answer = std::move(answer_);
    out.answer.status = parser_.status_code;
    finish(std::move(out));
    return;
  }
  if (err != HPE_OK) {
    fail(std::string("bad response: ") + llhttp_errno_name(err));
    return;
  }
  if (head_bytes_ > kMaxHeadBytes) fail("response head too large");
}

void AuthRequestClient::onTimeout(uv_timer_t* t) {
  auto* self = static_cast<AuthRequestClient*>(t->data);
  if (self->state_ != State::kDone) self->fail("timeout");
}

void AuthRequestClient::fail(const std::string& why) {
  Outcome out;
  out.error = why;
  finish(std::move(out));
}

void AuthRequestClient::finish(Outcome&& outcome) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  closeHandles();
  if (aborted_) return;
  if (handle_ != nullptr) handle_->client = nullptr;
  handle_ = nullptr;
  Callback cb = std::move(callback_);
  if (cb) cb(std::move(outcome));  // may drop the handle: nothing of ours is touched after
}

void AuthRequestClient::abort() {
  if (aborted_) return;
  aborted_ = true;
  handle_ = nullptr;
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  closeHandles();
}

void AuthRequestClient::closeHandles() {
  if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_));
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &AuthRequestClient::onHandleClosed);
  }
  if (tcp_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &AuthRequestClient::onHandleClosed);
  }
}

void AuthRequestClient::onHandleClosed(uv_handle_t* h) {
  static_cast<AuthRequestClient*>(h->data)->handleClosed();
}

void AuthRequestClient::handleClosed() {
  if (--open_handles_ == 0 && state_ == State::kDone) delete this;
}

// --- llhttp callbacks (response head) ---

void AuthRequestClient::finishHeaderLine() {
  if (field_.size() == user_header_.size() &&
      strncasecmp(field_.data(), user_header_.data(), field_.size()) == 0) {
    if (answer_.user.empty()) answer_.user = value_;
  } else if (strcasecmp(field_.c_str(), "www-authenticate") == 0) {
    if (answer_.www_authenticate.empty()) answer_.www_authenticate = value_;
  }
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int AuthRequestClient::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  auto* self = static_cast<AuthRequestClient*>(p->data);
  if (self->in_value_) self->finishHeaderLine();
  self->field_.append(at, len);
  return 0;
}

int AuthRequestClient::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  auto* self = static_cast<AuthRequestClient*>(p->data);
  self->in_value_ = true;
  self->value_.append(at, len);
  return 0;
}

int AuthRequestClient::onHeadersComplete(llhttp_t* p) {
  auto* self = static_cast<AuthRequestClient*>(p->data);
  if (self->in_value_) self->finishHeaderLine();
  self->head_complete_ = true;
  return HPE_PAUSED;
}

}  // namespace ssegate::downstream
