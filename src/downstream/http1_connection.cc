#include "downstream/http1_connection.h"

#include <strings.h>

#include <ctime>

#include "base/log.h"
#include "base/metrics.h"
#include "channel/stream_frames.h"
#include "downstream/http_util.h"
#include "net/address.h"

namespace ssegate::downstream {

namespace {
constexpr int64_t kLingeringCloseMs = 2000;

const channel::EncodedEventPtr& endOfStreamFrame() {
  static const channel::EncodedEventPtr frame = channel::EncodedEvent::make("", "");
  return frame;  // chunked() of an empty payload is "0\r\n\r\n": the last chunk
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

struct Http1Connection::Head {
  llhttp_t parser;
  std::string url;
  std::string field;
  std::string value;
  bool in_value = false;
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_host = false;
  bool bad_header = false;
  size_t bytes = 0;
  char prev = '\n';  // start of the head counts as the start of a line
  bool complete = false;
};

Http1Connection::Http1Connection(worker::Worker& worker,
                                 std::shared_ptr<const DownstreamContext> ctx)
    : worker_(worker), ctx_(std::move(ctx)) {}

Http1Connection::~Http1Connection() = default;

int64_t Http1Connection::now() const {
  return static_cast<int64_t>(uv_now(worker_.loop()));
}

void Http1Connection::start(std::unique_ptr<net::Transport> transport, int reject_status,
                            std::string_view initial) {
  transport_ = std::move(transport);
  tls_ = transport_->tls() ? 1 : 0;
  worker_.addConnection(this);
  metrics().downstream_connections[0][tls_].fetch_add(1, std::memory_order_relaxed);
  since_ms_ = now();
  access_.client_ip = transport_->peerIp();
  access_.tls = tls_ == 1;
  access_.start_ms = since_ms_;
  head_ = std::make_unique<Head>();
  llhttp_init(&head_->parser, HTTP_REQUEST, settings());
  head_->parser.data = this;
  transport_->setHandler(this);
  if (reject_status != 0) {
    respondError(reject_status, Admitter::refuseConnection(*ctx_->shared, "http1"));
    return;
  }
  if (!initial.empty()) onTransportData(initial.data(), initial.size());
}

void Http1Connection::onTransportEnd(const char* reason) {
  close(reason);
}

void Http1Connection::onTransportWritable() {
  if (state_ != State::kClosed) worker_.markDirty(this);
}

void Http1Connection::onTransportData(const char* data, size_t len) {
  if (state_ == State::kClosed) return;
  uv_buf_t b = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  const uv_buf_t* buf = &b;
  switch (state_) {
    case State::kReadingHead: {
      const config::Limits& limits = ctx_->config->limits;
      size_t room = limits.max_request_header_bytes - head_->bytes;
      size_t take = len < room ? len : room;
      if (!scanHead(buf->base, take)) return;
      head_->bytes += take;
      llhttp_errno_t err = llhttp_execute(&head_->parser, buf->base, take);
      if (state_ != State::kReadingHead) return;
      if (err == HPE_PAUSED && head_->complete) {
        size_t consumed = static_cast<size_t>(llhttp_get_error_pos(&head_->parser) - buf->base);
        onHeadComplete(consumed, len);
        return;
      }
      if (err != HPE_OK) {
        LOG_DEBUG("http1", "bad request: " << llhttp_errno_name(err));
        metrics().reject(Reject::kBadRequest);
        respondError(400, "bad request");
        return;
      }
      if (take < len || head_->bytes >= limits.max_request_header_bytes) {
        metrics().reject(Reject::kHeaderTooLarge);
        respondError(431, "request header too large");
      }
      return;
    }
    case State::kAwaitingChannel:
    case State::kStreaming:
      // One request per connection: anything more is a pipelined request or a body.
      LOG_DEBUG("http1", "closing: bytes after the request (pipelining is not supported)");
      metrics().reject(Reject::kPipelined);
      if (state_ == State::kAwaitingChannel) {
        respondError(400, "pipelined requests are not supported");
      } else {
        close("pipelined request");
      }
      return;
    case State::kClosing:
      return;  // lingering close: discard
    case State::kClosed:
      return;
  }
}

// Rejects what llhttp accepts even in strict mode: obs-fold (a line starting with SP/HT) and a
// CR not followed by LF. Returns false if it answered 400.
bool Http1Connection::scanHead(const char* data, size_t len) {
  char prev = head_->prev;
  for (size_t i = 0; i < len; ++i) {
    char c = data[i];
    if (prev == '\r' && c != '\n') {
      metrics().reject(Reject::kBadRequest);
      respondError(400, "bare CR in request head");
      return false;
    }
    if (prev == '\n' && (c == ' ' || c == '\t') && head_->bytes + i > 0) {
      metrics().reject(Reject::kBadRequest);
      respondError(400, "folded header lines are not allowed");
      return false;
    }
    prev = c;
  }
  head_->prev = prev;
  return true;
}

void Http1Connection::onHeadComplete(size_t consumed, size_t available) {
  llhttp_t& p = head_->parser;
  bool has_body =
      (p.flags & F_CHUNKED) != 0 || ((p.flags & F_CONTENT_LENGTH) && p.content_length > 0);
  if (has_body) {
    metrics().reject(Reject::kRequestBody);
    respondError(400, "request body not allowed");
    return;
  }
  if (consumed < available) {
    metrics().reject(Reject::kPipelined);
    respondError(400, "pipelined requests are not supported");
    return;
  }
  handleRequest();
}

void Http1Connection::handleRequest() {
  Head& h = *head_;
  llhttp_t& p = h.parser;
  chunked_ = !(p.http_major == 1 && p.http_minor == 0);
  if (h.bad_header) {
    metrics().reject(Reject::kBadRequest);
    respondError(400, "bad request header");
    return;
  }
  if (p.http_major == 1 && p.http_minor == 1 && !h.has_host) {
    metrics().reject(Reject::kBadRequest);
    respondError(400, "missing Host header");
    return;
  }
  StreamRequest req;
  req.method = llhttp_method_name(static_cast<llhttp_method_t>(p.method));
  access_.method = req.method;
  access_.setTarget(h.url, *ctx_->config);
  req.target = std::move(h.url);
  req.headers = std::move(h.headers);
  req.client_ip = access_.client_ip;
  head_.reset();  // the head's memory is not needed while streaming
  state_ = State::kAwaitingChannel;
  admission_ = Admitter::admit(worker_, ctx_, std::move(req),
                               [this](Admission&& a) { onAdmission(std::move(a)); });
}

void Http1Connection::onAdmission(Admission&& a) {
  if (state_ != State::kAwaitingChannel) return;
  if (a.status != 0) {
    if (a.status != 204) metrics().reject(a.reason);
    respondError(a.status, a.body, a.headers);
    return;
  }
  route_ = a.route;
  slot_ = std::move(a.slot);
  access_.user = a.user;
  access_.route = a.route->path;
  access_.channel = a.request.upstream_path;
  if (a.expires_at_unix != 0) {
    // The credential expires: the stream ends then (with a retry:), and the client comes back
    // with a fresh token.
    int64_t left_ms = (a.expires_at_unix - static_cast<int64_t>(time(nullptr))) * 1000;
    drain_at_ms_ = now() + (left_ms > 0 ? left_ms : 0);
    drain_reason_ = "credential expired";
  }
  response_headers_ = std::move(a.headers);
  worker_.subscribe(this, std::move(a.request));
}

void Http1Connection::onSubscribeResult(worker::SubscribeResult&& result) {
  if (state_ != State::kAwaitingChannel) return;
  if (result.status != 200) {
    if (result.status == 503) {
      metrics().reject(Reject::kMaxChannels);
      respondError(503, "service unavailable");
    } else {
      metrics().reject(Reject::kOriginStatus);
      respondError(result.status, "the origin answered " + std::to_string(result.status));
    }
    return;
  }
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "X-Accel-Buffering: no\r\nX-Replay: ";
  head += channel::replayKindName(result.replay);
  head += "\r\n";
  head += response_headers_;
  response_headers_.clear();
  head += chunked_ ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";
  auto opening = channel::openingFrame(route_->retry.count());
  head += chunked_ ? opening->chunked() : opening->payload();
  transport_->appendCopy(head);
  state_ = State::kStreaming;
  access_.status = 200;
  access_.bytes += opening->payload().size();
  access_.events += result.events.size();
  metrics().subscriptions.fetch_add(1, std::memory_order_relaxed);
  metrics().events_replayed.fetch_add(result.events.size(), std::memory_order_relaxed);
  for (const auto& ev : result.events) append(ev);
  last_send_ms_ = now();
  worker_.markDirty(this);
}

void Http1Connection::append(const channel::EncodedEventPtr& event) {
  access_.bytes += event->payload().size();
  transport_->append(event, chunked_ ? event->chunked() : event->payload());
}

void Http1Connection::onEvents(const worker::EventBatch& events) {
  if (state_ != State::kStreaming) return;
  access_.events += events.size();
  for (const auto& ev : events) append(ev);
  last_send_ms_ = now();
  worker_.markDirty(this);
}

void Http1Connection::onChannelFinal(int status) {
  if (state_ == State::kAwaitingChannel) {
    metrics().reject(Reject::kOriginStatus);
    respondError(status, "the origin answered " + std::to_string(status));
    return;
  }
  if (state_ != State::kStreaming) return;
  LOG_INFO("http1", "origin answered " << status << ": ending the stream");
  finishStream("origin final status");
}

void Http1Connection::finishStream(const char* reason) {
  writeAccessLine(&access_, now(), reason);
  slot_.reset();  // the stream has ended: its cap slot is free now, not after lingering close
  metrics().subscriptions.fetch_sub(1, std::memory_order_relaxed);
  if (chunked_) transport_->append(endOfStreamFrame(), endOfStreamFrame()->chunked());
  worker_.unsubscribe(this);
  state_ = State::kClosing;
  since_ms_ = now();
  worker_.markDirty(this);
}

void Http1Connection::respondError(int status, std::string_view body, std::string_view extra) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  access_.status = status;
  writeAccessLine(&access_, now(), body.empty() ? statusText(status) : body);
  worker_.unsubscribe(this);
  slot_.reset();  // no stream: the cap slot is free now, not after the lingering close
  head_.reset();
  transport_->appendCopy(errorResponse(status, body, extra));
  state_ = State::kClosing;
  since_ms_ = now();
  worker_.markDirty(this);
}

void Http1Connection::flush() {
  if (state_ == State::kClosed) return;
  int r = transport_->flush();
  if (r < 0) {
    close(uv_strerror(r));
    return;
  }
  if (state_ == State::kStreaming) {
    const config::SubscriberBuffer& lim = ctx_->config->limits.subscriber_buffer;
    if (transport_->queuedBytes() > lim.hard_bytes) {
      shed("over subscriber_buffer.hard_bytes");
      return;
    }
    if (transport_->queuedBytes() > lim.soft_bytes) {
      if (soft_since_ms_ == 0) soft_since_ms_ = now();
    } else {
      soft_since_ms_ = 0;
    }
  } else if (state_ == State::kClosing) {
    transport_->shutdownWrite();  // after the queued bytes; reads go on (lingering close)
  }
}

void Http1Connection::shed(const char* why) {
  metrics().slow_subscriber_disconnects.fetch_add(1, std::memory_order_relaxed);
  LOG_WARN("http1", "slow subscriber shed (" << why << ", " << transport_->queuedBytes()
                                             << " bytes queued)");
  close("slow subscriber");
}

void Http1Connection::onSweep(int64_t now_ms) {
  switch (state_) {
    case State::kReadingHead:
      // Unread bytes in the kernel mean the client sent and this worker is behind (as in
      // ProtocolDetector::onSweep): they are read in this loop turn, so a dripping client is
      // caught at the next sweep.
      if (now_ms - since_ms_ >= ctx_->config->limits.request_header_timeout.count() &&
          !transport_->inputPending()) {
        metrics().reject(Reject::kHeaderTimeout);
        respondError(408, "request header timeout");
      }
      return;
    case State::kStreaming: {
      if (drain_at_ms_ != 0 && now_ms >= drain_at_ms_) {
        endForDrain();
        return;
      }
      const config::SubscriberBuffer& lim = ctx_->config->limits.subscriber_buffer;
      if (soft_since_ms_ != 0 && now_ms - soft_since_ms_ >= lim.soft_timeout.count()) {
        shed("over subscriber_buffer.soft_bytes for soft_timeout");
        return;
      }
      // Sent so that the comment goes out no later than keepalive_interval after the last bytes.
      if (now_ms - last_send_ms_ + ctx_->sweep_interval_ms > route_->keepalive_interval.count()) {
        append(channel::keepaliveFrame());
        last_send_ms_ = now_ms;
        worker_.markDirty(this);
      }
      return;
    }
    case State::kClosing:
      if (now_ms - since_ms_ >= kLingeringCloseMs) close("lingering close timeout");
      return;
    default:
      return;
  }
}

void Http1Connection::shutdown() {
  close("worker stopping");
}

void Http1Connection::drainAt(int64_t deadline_ms) {
  if (state_ == State::kStreaming) {
    drainStreamAt(deadline_ms, "draining");
  } else if (state_ == State::kReadingHead || state_ == State::kAwaitingChannel) {
    metrics().reject(Reject::kDraining);
    respondError(503, "shutting down");
  }
}

void Http1Connection::onReload(const config::Config& config, int64_t deadline_ms) {
  if (state_ != State::kStreaming || route_ == nullptr) return;
  for (const config::Route& r : config.routes) {
    if (r.path == route_->path && r.upstream == route_->upstream &&
        r.upstream_path == route_->upstream_path) {
      return;  // the route survives: the stream carries on with the configuration it started with
    }
  }
  LOG_INFO("http1", "route " << route_->path << " was removed: draining its stream");
  drainStreamAt(deadline_ms, "route removed");
}

void Http1Connection::drainStreamAt(int64_t deadline_ms, const char* reason) {
  if (drain_at_ms_ == 0 || deadline_ms < drain_at_ms_) {
    drain_at_ms_ = deadline_ms;
    drain_reason_ = reason;
  }
}

void Http1Connection::endForDrain() {
  append(channel::drainFrame(route_->retry.count(), uv_hrtime()));
  finishStream(drain_reason_);
}

void Http1Connection::close(const char* reason) {
  if (state_ == State::kClosed) return;
  LOG_DEBUG("http1", "connection closed: " << reason);
  if (state_ == State::kStreaming || state_ == State::kAwaitingChannel) {
    writeAccessLine(&access_, now(), reason);
  }
  if (state_ == State::kStreaming) metrics().subscriptions.fetch_sub(1, std::memory_order_relaxed);
  metrics().downstream_connections[0][tls_].fetch_sub(1, std::memory_order_relaxed);
  state_ = State::kClosed;
  admission_.reset();
  slot_.reset();
  worker_.unsubscribe(this);
  worker_.removeConnection(this);
  ctx_->shared->releaseConnection();
  transport_->close();
}

void Http1Connection::onTransportClosed() {
  delete this;  // the last call from the transport, which goes with us
}

// --- llhttp callbacks (request head) ---

int Http1Connection::onUrl(llhttp_t* p, const char* at, size_t len) {
  static_cast<Http1Connection*>(p->data)->head_->url.append(at, len);
  return 0;
}

void Http1Connection::finishHeaderLine(Head& h) {
  std::string name = h.field;
  for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  h.headers.emplace_back(std::move(name), h.value);
  if (iequals(h.field, "host")) {
    if (h.has_host) h.bad_header = true;  // two Host headers: ambiguous target
    h.has_host = true;
  }
}

const llhttp_settings_t* Http1Connection::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t v;
    llhttp_settings_init(&v);
    v.on_url = &Http1Connection::onUrl;
    v.on_header_field = &Http1Connection::onHeaderField;
    v.on_header_value = &Http1Connection::onHeaderValue;
    v.on_headers_complete = &Http1Connection::onHeadersComplete;
    return v;
  }();
  return &s;
}

int Http1Connection::onHeaderField(llhttp_t* p, const char* at, size_t len) {
  Head& h = *static_cast<Http1Connection*>(p->data)->head_;
  if (h.in_value) {
    finishHeaderLine(h);
    h.in_value = false;
    h.field.clear();
    h.value.clear();
  }
  h.field.append(at, len);
  return 0;
}

int Http1Connection::onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Head& h = *static_cast<Http1Connection*>(p->data)->head_;
  h.in_value = true;
  h.value.append(at, len);
  return 0;
}

int Http1Connection::onHeadersComplete(llhttp_t* p) {
  Head& h = *static_cast<Http1Connection*>(p->data)->head_;
  if (h.in_value) finishHeaderLine(h);
  h.complete = true;
  return HPE_PAUSED;
}

}  // namespace ssegate::downstream
