#include "downstream/auth_request_client.h"

#include <strings.h>

#include "base/log.h"
#include "config/value_syntax.h"

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
  client->dialer_.dial(target.host, target.port, static_cast<uint64_t>(timeout.count()));
  return handle;
}

AuthRequestClient::AuthRequestClient(uv_loop_t* loop, std::string user_header, Callback callback)
    : user_header_(std::move(user_header)), callback_(std::move(callback)), dialer_(loop, this) {
  llhttp_settings_init(&settings_);
  settings_.on_header_field = &AuthRequestClient::onHeaderField;
  settings_.on_header_value = &AuthRequestClient::onHeaderValue;
  settings_.on_headers_complete = &AuthRequestClient::onHeadersComplete;
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

void AuthRequestClient::onDialed(int status, const char* step) {
  if (state_ != State::kConnecting) return;  // finished or cancelled meanwhile
  if (status != 0) {
    fail(std::string(step) + ": " + uv_strerror(status));
    return;
  }
  state_ = State::kAwaitingHead;
  int r = dialer_.write(std::move(request_));
  if (r == 0) r = dialer_.startReading(read_buffer_, sizeof(read_buffer_));
  if (r != 0) fail(std::string("write: ") + uv_strerror(r));
}

void AuthRequestClient::onWriteFailed(int status) {
  if (state_ == State::kAwaitingHead) fail(std::string("write: ") + uv_strerror(status));
}

void AuthRequestClient::onRead(ssize_t nread, const char* data) {
  if (state_ != State::kAwaitingHead) return;
  if (nread < 0) {
    fail(nread == UV_EOF ? "connection closed before the response head"
                         : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
    return;
  }
  size_t len = static_cast<size_t>(nread);
  head_bytes_ += len;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
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

void AuthRequestClient::onTimer() {
  if (state_ != State::kDone) fail("timeout");
}

void AuthRequestClient::fail(const std::string& why) {
  Outcome out;
  out.error = why;
  finish(std::move(out));
}

void AuthRequestClient::finish(Outcome&& outcome) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  dialer_.close();
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
  dialer_.close();
}

void AuthRequestClient::onClosed() {
  delete this;  // the dialer's last callback: no libuv callback refers to us any more
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
