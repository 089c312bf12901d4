#include "stream_connection.h"

#include <strings.h>

#include <cstdio>
#include <string_view>

#include "channel_publisher.h"
#include "origin_server.h"

namespace demo {
namespace {

bool isChannelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

// The request's path when it is /stream/{channel} with a valid channel name, else empty.
std::string_view channelOf(std::string_view path) {
  constexpr std::string_view kPrefix = "/stream/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return {};
  std::string_view name = path.substr(kPrefix.size());
  for (char c : name) {
    if (!isChannelChar(c)) return {};
  }
  return name;
}

StreamConnection* self(llhttp_t* parser) {
  return static_cast<StreamConnection*>(parser->data);
}

}  // namespace

StreamConnection::StreamConnection(OriginServer* server) : server_(server) {
  uv_tcp_init(server->loop(), &tcp_);
  tcp_.data = this;
  llhttp_init(&parser_, HTTP_REQUEST, &parserSettings());
  parser_.data = this;
}

const llhttp_settings_t& StreamConnection::parserSettings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = &StreamConnection::onUrl;
    s.on_header_field = &StreamConnection::onHeaderField;
    s.on_header_value = &StreamConnection::onHeaderValue;
    s.on_header_value_complete = &StreamConnection::onHeaderValueComplete;
    s.on_message_complete = &StreamConnection::onMessageComplete;
    return s;
  }();
  return settings;
}

void StreamConnection::start() {
  sockaddr_storage addr;
  int len = sizeof(addr);
  char ip[64] = "?";
  int port = 0;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    if (addr.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&addr);
      uv_ip4_name(in, ip, sizeof(ip));
      port = ntohs(in->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
      uv_ip6_name(in6, ip, sizeof(ip));
      port = ntohs(in6->sin6_port);
    }
  }
  peer_ = std::string(ip) + ":" + std::to_string(port);
  uv_tcp_nodelay(&tcp_, 1);
  uv_read_start(stream(), &StreamConnection::onAlloc, &StreamConnection::onRead);
}

void StreamConnection::onAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  // One loop thread and the read callback always runs before the next allocation: share it.
  static char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof(buffer));
}

void StreamConnection::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<StreamConnection*>(stream->data)->handleRead(nread, buf);
}

void StreamConnection::handleRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    close(nread == UV_EOF ? "client closed" : uv_strerror(static_cast<int>(nread)));
    return;
  }
  if (state_ != State::kReadingRequest || nread == 0) return;  // a stream ignores its input
  head_bytes_ += static_cast<size_t>(nread);
  llhttp_errno_t err = llhttp_execute(&parser_, buf->base, static_cast<size_t>(nread));
  if (state_ != State::kReadingRequest) return;
  if (err != HPE_OK) {
    respondAndClose(400, "Bad Request", "bad request\n");
  } else if (head_bytes_ > kMaxHeadBytes) {
    respondAndClose(431, "Request Header Fields Too Large", "request head too large\n");
  }
}

int StreamConnection::onUrl(llhttp_t* parser, const char* at, size_t length) {
  StreamConnection* c = self(parser);
  if (c->url_.size() + length > kMaxHeadBytes) return -1;
  c->url_.append(at, length);
  return 0;
}

int StreamConnection::onHeaderField(llhttp_t* parser, const char* at, size_t length) {
  StreamConnection* c = self(parser);
  if (c->header_field_.size() + length > kMaxHeadBytes) return -1;
  c->header_field_.append(at, length);
  return 0;
}

int StreamConnection::onHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  StreamConnection* c = self(parser);
  if (c->header_value_.size() + length > kMaxHeadBytes) return -1;
  c->header_value_.append(at, length);
  return 0;
}

int StreamConnection::onHeaderValueComplete(llhttp_t* parser) {
  StreamConnection* c = self(parser);
  if (strcasecmp(c->header_field_.c_str(), "last-event-id") == 0) {
    c->last_event_id_ = c->header_value_;
    c->has_last_event_id_ = true;
  }
  c->header_field_.clear();
  c->header_value_.clear();
  return 0;
}

int StreamConnection::onMessageComplete(llhttp_t* parser) {
  self(parser)->handleRequest();
  return HPE_PAUSED;  // one request per connection: ignore anything pipelined after it
}

void StreamConnection::handleRequest() {
  std::string_view path = url_;
  path = path.substr(0, path.find('?'));
  server_->countRequest();
  if (llhttp_get_method(&parser_) != HTTP_GET) {
    respondAndClose(405, "Method Not Allowed", "method not allowed\n");
    return;
  }
  if (path == "/healthz") {
    respondAndClose(200, "OK", "ok\n");
    return;
  }
  if (path == "/stats") {
    respondAndClose(200, "OK", server_->statsJson());
    return;
  }
  std::string_view name = channelOf(path);
  if (name.empty()) {
    respondAndClose(404, "Not Found", "not found\n");
    return;
  }
  state_ = State::kStreaming;
  stream_start_ns_ = uv_hrtime();
  static const std::string kHead =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\n\r\n";
  static const Bytes kOpening =
      std::make_shared<const std::string>(kHead + *makeChunk(": demo origin\n\n"));
  send(kOpening);
  if (state_ != State::kStreaming) return;
  channel_ = server_->channel(std::string(name));
  server_->streamStarted();
  size_t replayed = channel_->subscribe(this, has_last_event_id_ ? &last_event_id_ : nullptr);
  if (!server_->quiet()) {
    std::fprintf(stderr, "origin: %s GET %s 200 last-event-id=%s replayed=%zu\n", peer_.c_str(),
                 url_.c_str(), has_last_event_id_ ? last_event_id_.c_str() : "-", replayed);
  }
}

void StreamConnection::respondAndClose(int status, const char* reason, const std::string& body) {
  state_ = State::kClosing;
  if (!server_->quiet()) {
    const char* method =
        url_.empty()
            ? "-"
            : llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser_)));
    std::fprintf(stderr, "origin: %s %s %s %d\n", peer_.c_str(), method,
                 url_.empty() ? "-" : url_.c_str(), status);
  }
  const char* type = body.starts_with("{") ? "application/json" : "text/plain";
  char head[256];
  int n = std::snprintf(head, sizeof(head),
                        "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                        "Connection: close\r\n\r\n",
                        status, reason, type, body.size());
  send(std::make_shared<const std::string>(std::string(head, n) + body));
}

void StreamConnection::send(const Bytes& bytes) {
  if (state_ == State::kClosed) return;
  queue_.push_back(bytes);
  queued_bytes_ += bytes->size();
  if (queued_bytes_ > kMaxBacklogBytes) {
    close("too slow: backlog over kMaxBacklogBytes");
    return;
  }
  flush();
}

size_t StreamConnection::fillBufs(uv_buf_t* bufs) const {
  size_t count = 0;
  for (; count < queue_.size() && count < kMaxBufs; ++count) {
    const std::string& bytes = *queue_[count];
    size_t offset = count == 0 ? front_offset_ : 0;
    bufs[count] = uv_buf_init(const_cast<char*>(bytes.data() + offset),
                              static_cast<unsigned>(bytes.size() - offset));
  }
  return count;
}

void StreamConnection::consume(size_t written) {
  queued_bytes_ -= written;
  while (written > 0) {
    size_t rest = queue_.front()->size() - front_offset_;
    if (written < rest) {
      front_offset_ += written;
      return;
    }
    written -= rest;
    front_offset_ = 0;
    queue_.pop_front();
  }
}

void StreamConnection::flush() {
  // Write directly while the socket takes bytes; once it takes none, queue one uv_write.
  while (in_flight_ == 0 && !queue_.empty() && state_ != State::kClosed) {
    uv_buf_t bufs[kMaxBufs];
    size_t count = fillBufs(bufs);
    int written = uv_try_write(stream(), bufs, static_cast<unsigned>(count));
    if (written == UV_EAGAIN) written = 0;
    if (written < 0) {
      close(uv_strerror(written));
      return;
    }
    if (written > 0) {
      consume(static_cast<size_t>(written));
      continue;
    }
    in_flight_ = count;
    write_req_.data = this;
    if (uv_write(&write_req_, stream(), bufs, static_cast<unsigned>(count),
                 &StreamConnection::onWrite) != 0) {
      in_flight_ = 0;
      close("uv_write failed");
      return;
    }
  }
  if (queue_.empty() && state_ == State::kClosing) close("response sent");
}

void StreamConnection::onWrite(uv_write_t* req, int status) {
  static_cast<StreamConnection*>(req->data)->handleWrite(status);
}

void StreamConnection::handleWrite(int status) {
  if (status < 0 || state_ == State::kClosed) {
    in_flight_ = 0;
    close(status < 0 ? uv_strerror(status) : "closed");
    return;
  }
  size_t written = 0;
  for (size_t i = 0; i < in_flight_; ++i)
    written += queue_[i]->size() - (i == 0 ? front_offset_ : 0);
  in_flight_ = 0;
  consume(written);
  flush();
}

void StreamConnection::close(const char* reason) {
  if (state_ == State::kClosed) return;
  if (channel_ != nullptr && !server_->quiet()) {
    double seconds = static_cast<double>(uv_hrtime() - stream_start_ns_) / 1e9;
    std::fprintf(stderr, "origin: %s %s closed after %.1fs: %s\n", peer_.c_str(), url_.c_str(),
                 seconds, reason);
  }
  if (channel_ != nullptr) {
    channel_->unsubscribe(this);
    channel_ = nullptr;
    server_->streamEnded();
  }
  state_ = State::kClosed;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &StreamConnection::onClose);
}

void StreamConnection::onClose(uv_handle_t* handle) {
  auto* connection = static_cast<StreamConnection*>(handle->data);
  connection->server_->connectionClosed(connection);
}

}  // namespace demo
