#include "admin/admin_connection.h"

#include "admin/admin_server.h"
#include "downstream/http_util.h"

namespace ssegate::admin {

namespace {
constexpr size_t kMaxHead = 8192;
constexpr uint64_t kHeadTimeoutMs = 10000;
constexpr size_t kMaxQueuedBytes = 1 << 20;  // a dashboard that stops reading is dropped
char g_read_buffer[4096];                    // main loop only

struct WriteReq {
  uv_write_t req;
  std::string bytes;
  bool then_close;
  AdminConnection* conn;
};
}  // namespace

AdminConnection::AdminConnection(AdminServer* server, uint64_t id) : server_(server), id_(id) {
  llhttp_settings_init(&settings_);
  settings_.on_url = &AdminConnection::onUrl;
  settings_.on_headers_complete = &AdminConnection::onHeadersComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

bool AdminConnection::start(uv_stream_t* listener) {
  uv_tcp_init(listener->loop, &tcp_);
  uv_timer_init(listener->loop, &timer_);
  tcp_.data = this;
  timer_.data = this;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    close();
    return false;
  }
  uv_timer_start(&timer_, &AdminConnection::onTimeout, kHeadTimeoutMs, 0);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), &AdminConnection::onAlloc,
                &AdminConnection::onRead);
  return true;
}

void AdminConnection::onAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  *buf = uv_buf_init(g_read_buffer, sizeof g_read_buffer);
}

void AdminConnection::onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<AdminConnection*>(s->data);
  if (self->closed_ || nread == 0) return;
  if (nread < 0) {
    self->close();
    return;
  }
  if (self->answered_) return;  // ignore anything after the request
  self->head_bytes_ += static_cast<size_t>(nread);
  if (self->head_bytes_ > kMaxHead) {
    self->respond(431, "text/plain", "request header too large\n");
    return;
  }
  llhttp_errno_t err = llhttp_execute(&self->parser_, buf->base, static_cast<size_t>(nread));
  if (self->closed_ || self->answered_) return;
  if (err == HPE_PAUSED) {
    self->answered_ = true;
    uv_timer_stop(&self->timer_);
    self->server_->handle(
        self, llhttp_method_name(static_cast<llhttp_method_t>(self->parser_.method)), self->url_);
  } else if (err != HPE_OK) {
    self->respond(400, "text/plain", "bad request\n");
  }
}

int AdminConnection::onUrl(llhttp_t* p, const char* at, size_t len) {
  auto* self = static_cast<AdminConnection*>(p->data);
  if (self->url_.size() < kMaxHead) self->url_.append(at, len);
  return 0;
}

int AdminConnection::onHeadersComplete(llhttp_t*) {
  return HPE_PAUSED;
}

void AdminConnection::onTimeout(uv_timer_t* t) {
  auto* self = static_cast<AdminConnection*>(t->data);
  if (!self->answered_) self->respond(408, "text/plain", "request header timeout\n");
}

void AdminConnection::respond(int status, const std::string& content_type,
                              const std::string& body) {
  answered_ = true;
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + downstream::statusText(status) +
                    "\r\nContent-Type: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n" + body;
  write(std::move(out), true);
}

void AdminConnection::startStream() {
  streaming_ = true;
  write(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 2000\n\n",
      false);
}

void AdminConnection::send(const std::string& bytes) {
  if (queued_bytes_ > kMaxQueuedBytes) {
    close();
    return;
  }
  write(bytes, false);
}

void AdminConnection::write(std::string bytes, bool then_close) {
  if (closed_) return;
  auto* req = new WriteReq{uv_write_t{}, std::move(bytes), then_close, this};
  req->req.data = req;
  queued_bytes_ += req->bytes.size();
  uv_buf_t buf = uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size()));
  if (uv_write(&req->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
               &AdminConnection::onWrite) != 0) {
    delete req;
    close();
  }
}

void AdminConnection::onWrite(uv_write_t* r, int status) {
  auto* req = static_cast<WriteReq*>(r->data);
  AdminConnection* self = req->conn;
  self->queued_bytes_ -= req->bytes.size();
  bool then_close = req->then_close;
  delete req;
  if (status < 0 || then_close) self->close();
}

void AdminConnection::close() {
  if (closed_) return;
  closed_ = true;
  server_->forget(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &AdminConnection::onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &AdminConnection::onClosed);
}

void AdminConnection::onClosed(uv_handle_t* h) {
  auto* self = static_cast<AdminConnection*>(h->data);
  if (--self->pending_closes_ == 0) delete self;
}

}  // namespace ssegate::admin
