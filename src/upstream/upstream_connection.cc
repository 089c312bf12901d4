#include "upstream/upstream_connection.h"

#include <strings.h>

#include <cstring>

#include <map>

#include "base/log.h"
#include "net/tls_context.h"

namespace ssegate::upstream {

namespace {
constexpr size_t kReadBufferSize = 64 * 1024;
// One read buffer per hub thread: reads are consumed synchronously, so connections share it.
thread_local char t_read_buffer[kReadBufferSize];
thread_local char t_plain_buffer[kReadBufferSize];

// One client TLS context per (verify, ca_file), built on first use on the hub thread and kept:
// loading a CA store costs milliseconds, a connection attempt should not.
std::shared_ptr<net::TlsContext> clientContext(const config::UpstreamTls& tls, std::string* error) {
  static std::map<std::pair<bool, std::string>, std::shared_ptr<net::TlsContext>> cache;
  auto key = std::make_pair(tls.verify, tls.ca_file);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto ctx = net::TlsContext::createClient(tls.verify, tls.ca_file, error);
  if (ctx) cache[key] = ctx;
  return ctx;
}

bool isEventStream(const std::string& content_type) {
  static constexpr char kType[] = "text/event-stream";
  size_t n = sizeof(kType) - 1;
  if (content_type.size() < n || strncasecmp(content_type.data(), kType, n) != 0) return false;
  return content_type.size() == n || content_type[n] == ';' || content_type[n] == ' ';
}
}  // namespace

const char* upstreamEndName(UpstreamEnd end) {
  switch (end) {
    case UpstreamEnd::kConnectFailed:
      return "connect failed";
    case UpstreamEnd::kBadResponse:
      return "bad response";
    case UpstreamEnd::kDefinitive:
      return "definitive status";
    case UpstreamEnd::kIdleTimeout:
      return "idle timeout";
    case UpstreamEnd::kClosed:
      return "stream closed";
  }
  return "?";
}

UpstreamConnection::UpstreamConnection(uv_loop_t* loop, const config::Upstream& upstream,
                                       std::string path, std::string last_event_id,
                                       Handler* handler)
    : loop_(loop),
      upstream_(upstream),
      path_(std::move(path)),
      last_event_id_(std::move(last_event_id)),
      handler_(handler),
      dialer_(loop, this) {
  llhttp_settings_init(&settings_);
  settings_.on_headers_complete = &UpstreamConnection::onHeadersComplete;
  settings_.on_header_field = &UpstreamConnection::onHeaderField;
  settings_.on_header_value = &UpstreamConnection::onHeaderValue;
  settings_.on_body = &UpstreamConnection::onBody;
  settings_.on_message_complete = &UpstreamConnection::onMessageComplete;
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

void UpstreamConnection::start() {
  state_ = State::kConnecting;
  dialer_.dial(upstream_.host, upstream_.port,
               static_cast<uint64_t>(upstream_.connect_timeout.count()));
}

void UpstreamConnection::onDialed(int status, const char* step) {
  if (state_ != State::kConnecting) return;  // finished or aborted meanwhile
  if (status != 0) {
    std::string what = step;
    if (what == "resolve") what += " " + upstream_.host;
    finish(UpstreamEnd::kConnectFailed, what + ": " + uv_strerror(status));
    return;
  }
  last_read_ms_ = static_cast<int64_t>(uv_now(loop_));
  request_ = buildRequest();
  if (upstream_.https) {
    std::string error;
    auto ctx = clientContext(upstream_.tls, &error);
    if (!ctx) {
      finish(UpstreamEnd::kConnectFailed, "TLS: " + error);
      return;
    }
    const std::string& name =
        upstream_.tls.server_name.empty() ? upstream_.host : upstream_.tls.server_name;
    tls_ = std::make_unique<net::TlsSession>(std::move(ctx), name);
    state_ = State::kHandshaking;  // the connect timer keeps running
    tls_->handshake();             // ClientHello
    if (!sendTlsOutput()) return;
  } else {
    state_ = State::kAwaitingHead;
    dialer_.armTimer(static_cast<uint64_t>(upstream_.idle_timeout.count()));
    if (!sendRaw(std::move(request_))) return;  // request_ is only kept for TLS
  }
  int r = dialer_.startReading(t_read_buffer, kReadBufferSize);
  if (r != 0) finish(UpstreamEnd::kConnectFailed, std::string("read: ") + uv_strerror(r));
}

std::string UpstreamConnection::endpoint() const {
  return upstream_.host + ":" + std::to_string(upstream_.port);
}

bool UpstreamConnection::sendRaw(std::string bytes) {
  int r = dialer_.write(std::move(bytes));
  if (r != 0) finish(UpstreamEnd::kConnectFailed, std::string("write: ") + uv_strerror(r));
  return r == 0;
}

void UpstreamConnection::onWriteFailed(int status) {
  if (state_ != State::kDone) {
    finish(UpstreamEnd::kConnectFailed, std::string("write: ") + uv_strerror(status));
  }
}

bool UpstreamConnection::sendTlsOutput() {
  if (!tls_ || tls_->pendingOutput() == 0) return true;
  std::string out;
  tls_->takeOutput(&out);
  return sendRaw(std::move(out));
}

std::string UpstreamConnection::buildRequest() const {
  std::string req;
  req.reserve(256 + path_.size());
  req += "GET ";
  req += path_;
  req += " HTTP/1.1\r\nHost: ";
  bool v6 = upstream_.host.find(':') != std::string::npos;
  if (v6) req += '[';
  req += upstream_.host;
  if (v6) req += ']';
  if (upstream_.port != (upstream_.https ? 443 : 80)) {
    req += ':';
    req += std::to_string(upstream_.port);
  }
  req += "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\nUser-Agent: ssegate\r\n";
  for (const auto& [name, value] : upstream_.headers) {
    req += name;
    req += ": ";
    req += value;
    req += "\r\n";
  }
  // The id came from an `id:` field, which cannot hold CR or LF: no header injection.
  if (!last_event_id_.empty()) {
    req += "Last-Event-ID: ";
    req += last_event_id_;
    req += "\r\n";
  }
  req += "\r\n";
  return req;
}

void UpstreamConnection::onRead(ssize_t nread, const char* data) {
  if (state_ == State::kDone) return;
  if (nread < 0) {
    if (state_ == State::kHandshaking) {
      finish(UpstreamEnd::kConnectFailed,
             "TLS handshake with " + endpoint() + ": " + uv_strerror(static_cast<int>(nread)));
    } else if (state_ == State::kStreaming) {
      if (nread == UV_EOF) llhttp_finish(&parser_);  // ends a close-delimited body
      if (state_ != State::kDone)
        finish(UpstreamEnd::kClosed, uv_strerror(static_cast<int>(nread)));
    } else {
      finish(UpstreamEnd::kBadResponse,
             std::string("closed before a response: ") + uv_strerror(static_cast<int>(nread)));
    }
    return;
  }
  last_read_ms_ = static_cast<int64_t>(uv_now(loop_));
  if (tls_) {
    onCipher(data, static_cast<size_t>(nread));
  } else {
    onPlain(data, static_cast<size_t>(nread));
  }
}

void UpstreamConnection::onCipher(const char* data, size_t len) {
  tls_->feed(data, len);
  if (state_ == State::kHandshaking) {
    net::TlsSession::Io io = tls_->handshake();
    if (!sendTlsOutput()) return;
    if (io == net::TlsSession::Io::kError) {
      std::string why = "TLS handshake with " + endpoint() + " failed: " + tls_->error();
      finish(UpstreamEnd::kConnectFailed, why);
      return;
    }
    if (io != net::TlsSession::Io::kOk) return;
    state_ = State::kAwaitingHead;
    dialer_.armTimer(static_cast<uint64_t>(upstream_.idle_timeout.count()));
    if (!tls_->write(request_) || !sendTlsOutput()) {
      if (state_ != State::kDone) finish(UpstreamEnd::kConnectFailed, "TLS write failed");
      return;
    }
  }
  for (;;) {
    size_t n = 0;
    net::TlsSession::Io io = tls_->read(t_plain_buffer, kReadBufferSize, &n);
    if (io == net::TlsSession::Io::kOk) {
      onPlain(t_plain_buffer, n);
      if (state_ == State::kDone) return;
      continue;
    }
    if (io == net::TlsSession::Io::kWantMore) break;
    if (state_ == State::kStreaming) {
      llhttp_finish(&parser_);  // close_notify ends a close-delimited body
      if (state_ != State::kDone) {
        finish(UpstreamEnd::kClosed,
               io == net::TlsSession::Io::kClosed ? "close_notify" : tls_->error());
      }
    } else {
      finish(
          UpstreamEnd::kBadResponse,
          "closed before a response: " +
              (io == net::TlsSession::Io::kClosed ? std::string("close_notify") : tls_->error()));
    }
    return;
  }
  sendTlsOutput();  // tickets, key updates
}

void UpstreamConnection::onPlain(const char* data, size_t len) {
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (state_ == State::kDone) return;
  if (err != HPE_OK) {
    finish(UpstreamEnd::kBadResponse,
           std::string("invalid response: ") + llhttp_errno_name(err) + " " +
               (llhttp_get_error_reason(&parser_) ? llhttp_get_error_reason(&parser_) : ""));
  }
}

int UpstreamConnection::onHeaderField(llhttp_t* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(parser->data);
  if (self->in_value_) {  // a new header starts; llhttp may split one name over several calls
    self->in_value_ = false;
    self->header_field_.clear();
  }
  if (self->header_field_.size() < 64) self->header_field_.append(at, len);
  return 0;
}

int UpstreamConnection::onHeaderValue(llhttp_t* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(parser->data);
  if (!self->in_value_) {
    self->in_value_ = true;
    self->in_content_type_ = strcasecmp(self->header_field_.c_str(), "content-type") == 0;
    if (self->in_content_type_) self->content_type_.clear();
  }
  if (self->in_content_type_ && self->content_type_.size() < 256) {
    self->content_type_.append(at, len);
  }
  return 0;
}

int UpstreamConnection::onHeadersComplete(llhttp_t* parser) {
  auto* self = static_cast<UpstreamConnection*>(parser->data);
  self->status_ = parser->status_code;
  if (self->status_ == 200 && isEventStream(self->content_type_)) {
    self->state_ = State::kStreaming;
    self->handler_->onUpstreamStreaming();
    return self->state_ == State::kDone ? -1 : 0;
  }
  if (isDefinitiveStatus(self->status_)) {
    self->finish(UpstreamEnd::kDefinitive, "status " + std::to_string(self->status_));
  } else if (self->status_ == 200) {
    self->finish(UpstreamEnd::kBadResponse,
                 "Content-Type is \"" + self->content_type_ + "\", not text/event-stream");
  } else {
    self->finish(UpstreamEnd::kBadResponse, "status " + std::to_string(self->status_));
  }
  return -1;
}

int UpstreamConnection::onBody(llhttp_t* parser, const char* at, size_t len) {
  auto* self = static_cast<UpstreamConnection*>(parser->data);
  self->handler_->onUpstreamBody(std::string_view(at, len));
  return self->state_ == State::kDone ? -1 : 0;
}

int UpstreamConnection::onMessageComplete(llhttp_t* parser) {
  auto* self = static_cast<UpstreamConnection*>(parser->data);
  if (self->state_ != State::kDone) self->finish(UpstreamEnd::kClosed, "end of response body");
  return -1;
}

void UpstreamConnection::onTimer() {
  switch (state_) {
    case State::kConnecting:
      finish(UpstreamEnd::kConnectFailed, "connect timeout");
      return;
    case State::kHandshaking:
      finish(UpstreamEnd::kConnectFailed, "TLS handshake with " + endpoint() + " timed out");
      return;
    case State::kAwaitingHead:
    case State::kStreaming: {
      int64_t idle = static_cast<int64_t>(uv_now(loop_)) - last_read_ms_;
      int64_t limit = upstream_.idle_timeout.count();
      if (idle >= limit) {
        finish(UpstreamEnd::kIdleTimeout,
               "nothing from the origin for " + std::to_string(idle) + " ms");
      } else {
        // One timer restart per timeout, not one per read.
        dialer_.armTimer(static_cast<uint64_t>(limit - idle));
      }
      return;
    }
    default:
      return;
  }
}

void UpstreamConnection::finish(UpstreamEnd end, const std::string& detail) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  dialer_.close();
  if (!aborted_) handler_->onUpstreamEnd(end, status_, detail);
}

void UpstreamConnection::abort() {
  if (aborted_) return;
  aborted_ = true;
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  dialer_.close();
}

void UpstreamConnection::onClosed() {
  delete this;  // the dialer's last callback: no libuv callback refers to us any more
}

}  // namespace ssegate::upstream
