#include "downstream/http2_connection.h"

#include <strings.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "base/log.h"
#include "base/metrics.h"
#include "channel/stream_frames.h"
#include "downstream/http2_allocator.h"
#include "downstream/http_util.h"

namespace ssegate::downstream {

namespace {
constexpr size_t kArenaSize = 4096;
constexpr size_t kFrameHeader = 9;  // kFrameHeader (internal to nghttp2)
// PING, SETTINGS, WINDOW_UPDATE, PRIORITY and empty DATA/HEADERS-less frames per sweep interval
// beyond which a client is flooding (legitimate clients send a handful).
constexpr uint32_t kMaxControlFramesPerSweep = 1000;
// A connection that framed nothing for this long gives its frame buffer's pages back. Longer
// than the gap between events of a live stream, so a busy connection never pays for it; an idle
// one pays a page fault per keepalive (every 15 s by default).
constexpr int64_t kFramePagesIdleMs = 2000;

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

Http2Connection::Http2Connection(worker::Worker& worker,
                                 std::shared_ptr<const DownstreamContext> ctx)
    : worker_(worker), ctx_(std::move(ctx)) {}

Http2Connection::~Http2Connection() {
  if (session_) nghttp2_session_del(session_);
}

int64_t Http2Connection::now() const {
  return static_cast<int64_t>(uv_now(worker_.loop()));
}

void Http2Connection::start(std::unique_ptr<net::Transport> transport, int reject_status,
                            std::string_view initial) {
  transport_ = std::move(transport);
  tls_ = transport_->tls() ? 1 : 0;
  client_ip_ = transport_->peerIp();
  worker_.addConnection(this);
  metrics().downstream_connections[1][tls_].fetch_add(1, std::memory_order_relaxed);
  transport_->setHandler(this);
  if (!createSession()) {
    close("nghttp2 session could not be created");
    return;
  }
  if (reject_status != 0) {
    goAway(NGHTTP2_REFUSED_STREAM, Admitter::refuseConnection(*ctx_->shared, "h2"));
  }
  if (!initial.empty()) onTransportData(initial.data(), initial.size());
  worker_.markDirty(this);
}

bool Http2Connection::createSession() {
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) return false;
  // The attack mitigations of libnghttp2 1.52 (Debian backports), set explicitly.
  nghttp2_option_set_max_continuations(opt, 8);
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_option_set_max_send_header_block_length(opt, 16 * 1024);
  // Response headers repeat little across the streams of one connection; a small dynamic table
  // keeps idle connections small.
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 512);
  nghttp2_option_set_no_closed_streams(opt, 1);
  // Frame buffers in slots of their own: only the pages written are resident (see the allocator).
  nghttp2_mem mem = Http2Allocator::mem(&frame_buffer_);
  frame_buffer_.recording = true;  // the frame buffer is allocated now, and only it is recorded
  int rv = nghttp2_session_server_new3(&session_, callbacks(), this, opt, &mem);
  frame_buffer_.recording = false;
  nghttp2_option_del(opt);
  if (rv != 0) return false;
  const config::Config& c = *ctx_->config;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c.http2.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 65535},  // we do not want request bodies
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(c.limits.max_request_header_bytes)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) == 0;
}

// --- input ---

void Http2Connection::onTransportData(const char* data, size_t len) {
  if (state_ == State::kClosed) return;
  in_recv_ = true;
  ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), len);
  in_recv_ = false;
  if (state_ == State::kClosed) return;
  if (rv < 0) {
    LOG_INFO("h2", "closing a connection from " << client_ip_ << ": "
                                                << nghttp2_strerror(static_cast<int>(rv)));
    metrics().reject(Reject::kBadRequest);
    if (rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
      // nghttp2 has queued its own GOAWAY where it could; send what we can and go.
      nghttp2_session_send(session_);
      transport_->flush();
      close(nghttp2_strerror(static_cast<int>(rv)));
      return;
    }
    goAway(NGHTTP2_PROTOCOL_ERROR, "protocol error");
  }
  worker_.markDirty(this);
}

void Http2Connection::onTransportEnd(const char* reason) {
  close(reason);
}

void Http2Connection::onTransportWritable() {
  if (state_ != State::kClosed) worker_.markDirty(this);
}

int Http2Connection::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if (self->state_ != State::kOpen) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM: we are going away
  }
  int32_t id = frame->hd.stream_id;
  auto stream = std::make_unique<Http2Stream>(*self, id);
  stream->request.client_ip = self->client_ip_;
  stream->request.tls = self->tls_ == 1;
  stream->request.http2 = true;
  stream->access.client_ip = self->client_ip_;
  stream->access.tls = self->tls_ == 1;
  stream->access.http2 = true;
  stream->access.start_ms = self->now();
  nghttp2_session_set_stream_user_data(self->session_, id, stream.get());
  self->streams_[id] = std::move(stream);
  return 0;
}

int Http2Connection::onHeader(nghttp2_session* session, const nghttp2_frame* frame,
                              const uint8_t* name, size_t namelen, const uint8_t* value,
                              size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* s =
      static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (s == nullptr || s->head_too_large) return 0;
  // Counted like an HTTP/1.1 head (name, value and a few bytes of framing per field), so that
  // an HPACK bomb cannot expand into more than max_request_header_bytes.
  s->head_bytes += namelen + valuelen + 4;
  if (s->head_bytes > self->ctx_->config->limits.max_request_header_bytes) {
    s->head_too_large = true;
    s->request.headers.clear();
    s->request.headers.shrink_to_fit();
    return 0;
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method") {
    s->request.method = v;
  } else if (n == ":path") {
    s->request.target = v;
  } else if (n == ":authority") {
    s->request.headers.emplace_back("host", v);
  } else if (!n.empty() && n[0] == ':') {
    // :scheme; anything else nghttp2 already refused
  } else {
    s->request.headers.emplace_back(n, v);  // HTTP/2 field names are lower case
  }
  return 0;
}

int Http2Connection::onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        auto* s = static_cast<Http2Stream*>(
            nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
        if (s != nullptr && s->state() == Http2Stream::State::kReadingHead) {
          self->handleRequest(*s);
        }
      }
      return 0;
    case NGHTTP2_DATA:
      if (frame->hd.length > 0) return 0;
      [[fallthrough]];
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
    case NGHTTP2_WINDOW_UPDATE:
    case NGHTTP2_PRIORITY:
      if (++self->control_frames_ > kMaxControlFramesPerSweep && self->state_ == State::kOpen) {
        LOG_WARN("h2", "control frame flood from " << self->client_ip_ << ": closing");
        metrics().reject(Reject::kBadRequest);
        self->goAway(NGHTTP2_ENHANCE_YOUR_CALM, "flood");
        return NGHTTP2_ERR_CALLBACK_FAILURE;  // stop reading this input
      }
      return 0;
    default:
      return 0;
  }
}

int Http2Connection::onStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                                   void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  auto* s = static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (s == nullptr) return 0;
  self->logStream(*s, error_code == NGHTTP2_NO_ERROR ? "stream closed" : "stream reset");
  self->releaseStream(*s);
  self->streams_.erase(stream_id);  // deletes the stream
  return 0;
}

int Http2Connection::onError(nghttp2_session*, int, const char* msg, size_t len, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  LOG_DEBUG("h2", self->client_ip_ << ": " << std::string_view(msg, len));
  return 0;
}

// --- requests ---

void Http2Connection::handleRequest(Http2Stream& s) {
  s.access.method = s.request.method;
  s.access.setTarget(s.request.target, *ctx_->config);
  if (s.head_too_large) {
    metrics().reject(Reject::kHeaderTooLarge);
    respondError(s, 431, "request header too large");
    return;
  }
  if (s.request.method.empty() || s.request.target.empty()) {
    metrics().reject(Reject::kBadRequest);
    respondError(s, 400, "bad request");
    return;
  }
  s.setState(Http2Stream::State::kAdmitting);
  Http2Stream* sp = &s;
  // Dropping s.admission (stream closed) cancels an admission that is still deciding.
  s.admission = Admitter::admit(worker_, ctx_, std::move(s.request),
                                [this, sp](Admission&& a) { onAdmission(*sp, std::move(a)); });
}

void Http2Connection::onAdmission(Http2Stream& s, Admission&& a) {
  if (s.state() != Http2Stream::State::kAdmitting) return;
  if (a.status != 0) {
    if (a.status != 204) metrics().reject(a.reason);
    respondError(s, a.status, a.body, a.headers);
    return;
  }
  s.route = a.route;
  s.slot = std::move(a.slot);
  s.access.user = a.user;
  s.access.route = a.route->path;
  s.access.channel = a.request.upstream_path;
  if (a.expires_at_unix != 0) {
    int64_t left_ms = (a.expires_at_unix - static_cast<int64_t>(time(nullptr))) * 1000;
    s.drain_at_ms = now() + (left_ms > 0 ? left_ms : 0);
    s.drain_reason = "credential expired";
  }
  s.response_headers = std::move(a.headers);
  s.setState(Http2Stream::State::kAwaitingChannel);
  worker_.subscribe(&s, std::move(a.request));
}

void Http2Connection::onStreamSubscribed(Http2Stream& s, worker::SubscribeResult&& result) {
  if (s.state() != Http2Stream::State::kAwaitingChannel) return;
  if (result.status != 200) {
    if (result.status == 503) {
      metrics().reject(Reject::kMaxChannels);
      respondError(s, 503, "service unavailable");
    } else {
      metrics().reject(Reject::kOriginStatus);
      respondError(s, result.status, "the origin answered " + std::to_string(result.status));
    }
    return;
  }
  std::string extra = "X-Replay: ";
  extra += channel::replayKindName(result.replay);
  extra += "\r\n";
  extra += s.response_headers;
  s.response_headers.clear();
  s.response_headers.shrink_to_fit();
  s.push(channel::openingFrame(s.route->retry.count()));
  s.setState(Http2Stream::State::kStreaming);
  s.access.status = 200;
  s.access.events += result.events.size();
  s.counted = true;
  metrics().subscriptions.fetch_add(1, std::memory_order_relaxed);
  metrics().events_replayed.fetch_add(result.events.size(), std::memory_order_relaxed);
  for (const auto& ev : result.events) s.push(ev);
  s.last_send_ms = now();
  respond(s, 200, extra, true);
  worker_.markDirty(this);
}

void Http2Connection::respond(Http2Stream& s, int status, std::string_view extra_headers,
                              bool with_body) {
  std::string status_text = std::to_string(status);
  std::vector<nghttp2_nv> nva;
  std::vector<std::string> lowered;  // keeps lower-cased names alive for the submit call
  nva.push_back(nv(":status", status_text));
  if (status == 200) {
    nva.push_back(nv("content-type", "text/event-stream"));
    nva.push_back(nv("cache-control", "no-cache"));
    nva.push_back(nv("x-accel-buffering", "no"));
  } else if (with_body) {
    nva.push_back(nv("content-type", "text/plain; charset=utf-8"));
  }
  // Extra header lines ("Name: value\r\n") from admission, CORS and X-Replay.
  lowered.reserve(16);
  std::vector<std::pair<size_t, std::string_view>> values;
  while (!extra_headers.empty()) {
    size_t eol = extra_headers.find("\r\n");
    std::string_view line = extra_headers.substr(0, eol);
    extra_headers =
        eol == std::string_view::npos ? std::string_view() : extra_headers.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (name == "connection" || name == "transfer-encoding" || name == "keep-alive" ||
        name == "content-length") {
      continue;  // connection-specific: not allowed in HTTP/2
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (lowered.size() == lowered.capacity()) break;  // bounded: no reallocation of names
    lowered.push_back(std::move(name));
    nva.push_back(nv(lowered.back(), value));
  }
  nghttp2_data_provider prd;
  prd.source.ptr = &s;
  prd.read_callback = &Http2Connection::onReadData;
  int rv =
      nghttp2_submit_response(session_, s.id(), nva.data(), nva.size(), with_body ? &prd : nullptr);
  if (rv != 0) {
    LOG_DEBUG("h2", "submit_response failed: " << nghttp2_strerror(rv));
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id(), NGHTTP2_INTERNAL_ERROR);
  }
}

void Http2Connection::respondError(Http2Stream& s, int status, std::string_view body,
                                   std::string_view extra_headers) {
  if (s.state() == Http2Stream::State::kEnding) return;
  s.access.status = status;
  logStream(s, body.empty() ? statusText(status) : body);
  worker_.unsubscribe(&s);
  s.admission.reset();
  s.slot.reset();
  s.setState(Http2Stream::State::kEnding);
  bool with_body = status != 204 && status != 304;
  if (with_body) {
    std::string line(body.empty() ? statusText(status) : body);
    line += '\n';
    s.push(channel::EncodedEvent::make("", line));
  }
  s.setEof();
  respond(s, status, extra_headers, with_body);
  worker_.markDirty(this);
}

// --- events ---

void Http2Connection::push(Http2Stream& s, const channel::EncodedEventPtr& frame) {
  s.push(frame);
  if (s.deferred()) {
    s.setDeferred(false);
    nghttp2_session_resume_data(session_, s.id());
  }
}

void Http2Connection::onStreamEvents(Http2Stream& s, const worker::EventBatch& events) {
  if (s.state() != Http2Stream::State::kStreaming) return;
  s.access.events += events.size();
  for (const auto& ev : events) push(s, ev);
  s.last_send_ms = now();
  if (s.pendingBytes() > ctx_->config->limits.subscriber_buffer.hard_bytes) {
    over_limit_.push_back(s.id());  // shed in flush(), not while the worker iterates
  }
  worker_.markDirty(this);
}

void Http2Connection::onStreamChannelFinal(Http2Stream& s, int status) {
  if (s.state() == Http2Stream::State::kAwaitingChannel) {
    metrics().reject(Reject::kOriginStatus);
    respondError(s, status, "the origin answered " + std::to_string(status));
    return;
  }
  if (s.state() != Http2Stream::State::kStreaming) return;
  LOG_INFO("h2", "origin answered " << status << ": ending stream " << s.id());
  endStream(s, "origin final status");
}

void Http2Connection::endStream(Http2Stream& s, const char* reason) {
  logStream(s, reason);
  releaseStream(s);
  s.setState(Http2Stream::State::kEnding);
  s.setEof();
  if (s.deferred()) {
    s.setDeferred(false);
    nghttp2_session_resume_data(session_, s.id());
  }
  worker_.markDirty(this);
}

void Http2Connection::endForDrain(Http2Stream& s) {
  push(s, channel::drainFrame(s.route->retry.count(), uv_hrtime()));
  endStream(s, s.drain_reason);
}

void Http2Connection::logStream(Http2Stream& s, std::string_view reason) {
  if (s.access.method.empty() && s.access.status == 0) return;  // no request head was read
  writeAccessLine(&s.access, now(), reason);
}

// Frees what a stream holds in the gateway (subscription, cap slot, metrics); idempotent.
void Http2Connection::releaseStream(Http2Stream& s) {
  worker_.unsubscribe(&s);
  s.admission.reset();
  s.slot.reset();
  if (s.counted) {
    s.counted = false;
    metrics().subscriptions.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Http2Connection::shedStream(Http2Stream& s) {
  metrics().slow_subscriber_disconnects.fetch_add(1, std::memory_order_relaxed);
  LOG_WARN("h2", "slow stream " << s.id() << " shed (" << s.pendingBytes()
                                << " bytes pending over subscriber_buffer.hard_bytes)");
  logStream(s, "slow subscriber");
  releaseStream(s);
  s.clearPending();
  s.setState(Http2Stream::State::kEnding);
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id(), NGHTTP2_CANCEL);
}

// --- output ---

void Http2Connection::appendFrameHeader(const uint8_t* hd) {
  if (!arena_ || arena_->size() + kFrameHeader > kArenaSize) {
    arena_ = std::make_shared<std::vector<char>>();
    arena_->reserve(kArenaSize);  // never reallocated: views into it stay valid
  }
  size_t at = arena_->size();
  arena_->insert(arena_->end(), hd, hd + kFrameHeader);
  transport_->append(arena_, std::string_view(arena_->data() + at, kFrameHeader));
}

ssize_t Http2Connection::onSend(nghttp2_session*, const uint8_t* data, size_t len, int,
                                void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  self->transport_->appendCopy(std::string_view(reinterpret_cast<const char*>(data), len));
  self->frame_pages_resident_ = self->framed_since_sweep_ = true;  // data is in the frame buffer
  return static_cast<ssize_t>(len);
}

ssize_t Http2Connection::onReadData(nghttp2_session*, int32_t, uint8_t*, size_t length,
                                    uint32_t* flags, nghttp2_data_source* source, void*) {
  auto* s = static_cast<Http2Stream*>(source->ptr);
  if (s->pendingBytes() == 0) {
    if (s->eof()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    s->setDeferred(true);
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = std::min(length, s->pendingBytes());
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (n == s->pendingBytes() && s->eof()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int Http2Connection::onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                                size_t length, nghttp2_data_source* source, void* user) {
  auto* self = static_cast<Http2Connection*>(user);
  auto* s = static_cast<Http2Stream*>(source->ptr);
  self->appendFrameHeader(framehd);  // framehd is in the frame buffer
  self->frame_pages_resident_ = self->framed_since_sweep_ = true;
  s->pop(length, [self](const channel::EncodedEventPtr& ev, std::string_view bytes) {
    self->transport_->append(ev, bytes);
  });
  (void)frame;  // no padding is ever requested
  return 0;
}

void Http2Connection::flush() {
  if (state_ == State::kClosed) return;
  if (!over_limit_.empty()) {
    std::vector<int32_t> ids;
    ids.swap(over_limit_);
    for (int32_t id : ids) {
      auto it = streams_.find(id);
      if (it != streams_.end() && it->second->state() == Http2Stream::State::kStreaming) {
        shedStream(*it->second);
      }
    }
  }
  int rv = nghttp2_session_send(session_);
  if (rv != 0) {
    close(nghttp2_strerror(rv));
    return;
  }
  int r = transport_->flush();
  if (r < 0) {
    close(uv_strerror(r));
    return;
  }
  const config::SubscriberBuffer& lim = ctx_->config->limits.subscriber_buffer;
  size_t queued = transport_->queuedBytes();
  // An idle connection keeps no frame-header arena: the write queue held the only other
  // references, and everything it held is written.
  if (queued == 0) arena_.reset();
  if (queued > lim.hard_bytes) {
    shed("over subscriber_buffer.hard_bytes");
    return;
  }
  if (queued > lim.soft_bytes) {
    if (soft_since_ms_ == 0) soft_since_ms_ = now();
  } else {
    soft_since_ms_ = 0;
  }
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_) &&
      transport_->idle()) {
    close("session finished");
    return;
  }
  if (state_ == State::kGoingAway && streams_.empty() && transport_->idle()) {
    close("went away");
  }
}

void Http2Connection::goAway(uint32_t error_code, const char* why) {
  if (state_ != State::kOpen) return;
  state_ = State::kGoingAway;
  if (error_code != NGHTTP2_NO_ERROR) {
    // Not a graceful end: no stream goes on; the session ends once the GOAWAY is sent.
    LOG_DEBUG("h2", "GOAWAY to " << client_ip_ << ": " << why);
    for (auto& [id, s] : streams_) {
      logStream(*s, why);
      releaseStream(*s);
    }
    nghttp2_session_terminate_session(session_, error_code);
  } else {
    int32_t last = nghttp2_session_get_last_proc_stream_id(session_);
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last, error_code,
                          reinterpret_cast<const uint8_t*>(why), strlen(why));
  }
  worker_.markDirty(this);
}

void Http2Connection::shed(const char* why) {
  metrics().slow_subscriber_disconnects.fetch_add(1, std::memory_order_relaxed);
  LOG_WARN("h2", "slow connection shed (" << why << ", " << transport_->queuedBytes()
                                          << " bytes queued, " << streams_.size() << " streams)");
  close("slow subscriber");
}

void Http2Connection::onSweep(int64_t now_ms) {
  if (state_ == State::kClosed) return;
  control_frames_ = 0;
  const config::SubscriberBuffer& lim = ctx_->config->limits.subscriber_buffer;
  if (soft_since_ms_ != 0 && now_ms - soft_since_ms_ >= lim.soft_timeout.count()) {
    shed("over subscriber_buffer.soft_bytes for soft_timeout");
    return;
  }
  bool dirty = false;
  for (auto& [id, sp] : streams_) {
    Http2Stream& s = *sp;
    if (s.state() != Http2Stream::State::kStreaming) continue;
    if (s.drain_at_ms != 0 && now_ms >= s.drain_at_ms) {
      endForDrain(s);
      dirty = true;
      continue;
    }
    if (now_ms - s.last_send_ms + ctx_->sweep_interval_ms > s.route->keepalive_interval.count()) {
      push(s, channel::keepaliveFrame());
      s.last_send_ms = now_ms;
      dirty = true;
    }
  }
  if (drain_at_ms_ != 0 && now_ms >= drain_at_ms_) goAway(NGHTTP2_NO_ERROR, "draining");
  if (dirty) worker_.markDirty(this);
  // Nothing framed for a while: the frame buffer's pages go back. nghttp2 keeps nothing there
  // between nghttp2_session_send() calls (our send callbacks take every byte), and none runs now.
  if (framed_since_sweep_) {
    framed_since_sweep_ = false;
    last_framed_ms_ = now_ms;
  } else if (frame_pages_resident_ && now_ms - last_framed_ms_ >= kFramePagesIdleMs) {
    Http2Allocator::shared().dropPages(frame_buffer_);
    frame_pages_resident_ = false;
  }
}

void Http2Connection::shutdown() {
  close("worker stopping");
}

void Http2Connection::drainAt(int64_t deadline_ms) {
  // New streams are refused from now on (GOAWAY); each open stream ends at the deadline.
  goAway(NGHTTP2_NO_ERROR, "draining");
  drain_at_ms_ = deadline_ms;
  for (auto& [id, s] : streams_) {
    switch (s->state()) {
      case Http2Stream::State::kStreaming:
        if (s->drain_at_ms == 0 || deadline_ms < s->drain_at_ms) {
          s->drain_at_ms = deadline_ms;
          s->drain_reason = "draining";
        }
        break;
      case Http2Stream::State::kReadingHead:
      case Http2Stream::State::kAdmitting:
      case Http2Stream::State::kAwaitingChannel:
        metrics().reject(Reject::kDraining);
        respondError(*s, 503, "shutting down");
        break;
      case Http2Stream::State::kEnding:
        break;
    }
  }
  worker_.markDirty(this);
}

void Http2Connection::onReload(const config::Config& config, int64_t deadline_ms) {
  for (auto& [id, s] : streams_) {
    if (s->state() != Http2Stream::State::kStreaming || s->route == nullptr) continue;
    bool kept = false;
    for (const config::Route& r : config.routes) {
      if (r.path == s->route->path && r.upstream == s->route->upstream &&
          r.upstream_path == s->route->upstream_path) {
        kept = true;
        break;
      }
    }
    if (kept) continue;
    LOG_INFO("h2", "route " << s->route->path << " was removed: draining stream " << id);
    if (s->drain_at_ms == 0 || deadline_ms < s->drain_at_ms) {
      s->drain_at_ms = deadline_ms;
      s->drain_reason = "route removed";
    }
  }
}

void Http2Connection::close(const char* reason) {
  if (state_ == State::kClosed) return;
  LOG_DEBUG("h2", "connection closed: " << reason);
  state_ = State::kClosed;
  for (auto& [id, s] : streams_) {
    logStream(*s, reason);
    releaseStream(*s);
  }
  metrics().downstream_connections[1][tls_].fetch_sub(1, std::memory_order_relaxed);
  worker_.removeConnection(this);
  ctx_->shared->releaseConnection();
  transport_->close();
}

void Http2Connection::onTransportClosed() {
  delete this;  // the last call from the transport, which goes with us
}

const nghttp2_session_callbacks* Http2Connection::callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_send_callback(c, &Http2Connection::onSend);
    nghttp2_session_callbacks_set_send_data_callback(c, &Http2Connection::onSendData);
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, &Http2Connection::onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(c, &Http2Connection::onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, &Http2Connection::onFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, &Http2Connection::onStreamClose);
    nghttp2_session_callbacks_set_error_callback2(c, &Http2Connection::onError);
    return c;
  }();
  return cbs;
}

}  // namespace ssegate::downstream
