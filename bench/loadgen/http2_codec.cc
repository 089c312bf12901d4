#include "http2_codec.h"

#include <cctype>
#include <charconv>
#include <string_view>

namespace loadgen {
namespace {

nghttp2_nv header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

}  // namespace

Http2Codec::Http2Codec(Observer* observer, std::string scheme, std::string authority,
                       const std::string& head_extra, int32_t window)
    : observer_(observer), scheme_(std::move(scheme)), authority_(std::move(authority)) {
  std::string_view rest = head_extra;
  for (size_t end; (end = rest.find("\r\n")) != std::string_view::npos;) {
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "host") continue;  // :authority says it
    extra_headers_.emplace_back(std::move(name), std::string(value));
  }

  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Codec::onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Codec::onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Codec::onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Codec::onStreamClose);
  nghttp2_option* option;
  nghttp2_option_new(&option);
  // The server announces its limit in its first SETTINGS; until then allow what we submit.
  nghttp2_option_set_peer_max_concurrent_streams(option, 1u << 20);
  int rc = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0) {
    session_ = nullptr;
    return;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(window)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, window);
}

Http2Codec::~Http2Codec() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

int32_t Http2Codec::submit(const std::string& path, CodecListener* listener,
                           const std::string& last_event_id) {
  static const std::string kMethod = ":method", kGet = "GET", kScheme = ":scheme",
                           kAuthority = ":authority", kPath = ":path", kAccept = "accept",
                           kEventStream = "text/event-stream";
  std::vector<nghttp2_nv> headers = {header(kMethod, kGet), header(kScheme, scheme_),
                                     header(kAuthority, authority_), header(kPath, path),
                                     header(kAccept, kEventStream)};
  for (const auto& [name, value] : extra_headers_) headers.push_back(header(name, value));
  static const std::string kLastEventId = "last-event-id";
  if (!last_event_id.empty()) {
    nghttp2_nv nv = header(kLastEventId, last_event_id);
    nv.flags = NGHTTP2_NV_FLAG_NO_COPY_NAME;  // the value is copied: it changes per event
    headers.push_back(nv);
  }
  int32_t id =
      nghttp2_submit_request(session_, nullptr, headers.data(), headers.size(), nullptr, nullptr);
  if (id > 0) streams_.emplace(id, StreamState{listener});
  return id;
}

Http2Codec::StreamState* Http2Codec::find(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second;
}

void Http2Codec::reset(int32_t stream_id) {
  StreamState* state = find(stream_id);
  if (state == nullptr || state->listener == nullptr) return;
  state->listener = nullptr;  // no more calls, including onStreamClosed
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
}

StreamCodec::Result Http2Codec::feed(const char* data, size_t size) {
  ssize_t rc = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  return rc < 0 ? StreamCodec::Result::kError : StreamCodec::Result::kOk;
}

bool Http2Codec::takeOutput(std::string* out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool Http2Codec::done() const {
  return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0;
}

int Http2Codec::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                         size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                         void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  StreamState* state = static_cast<Http2Codec*>(user_data)->find(frame->hd.stream_id);
  if (state == nullptr || state->head_done) return 0;
  if (std::string_view(reinterpret_cast<const char*>(name), namelen) == ":status") {
    const char* begin = reinterpret_cast<const char*>(value);
    std::from_chars(begin, begin + valuelen, state->status);
  }
  return 0;
}

int Http2Codec::onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
  StreamState* state = static_cast<Http2Codec*>(user_data)->find(frame->hd.stream_id);
  if (state == nullptr || state->listener == nullptr || state->head_done) return 0;
  state->head_done = true;
  if (!state->listener->onResponseHead(state->status)) {
    // The listener gave up on the stream (it cancels it through reset() or closes).
    if (state->listener != nullptr) {
      state->listener = nullptr;
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_CANCEL);
    }
  }
  return 0;
}

int Http2Codec::onDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                            size_t len, void* user_data) {
  StreamState* state = static_cast<Http2Codec*>(user_data)->find(stream_id);
  if (state != nullptr && state->listener != nullptr && state->head_done) {
    state->listener->onBody(reinterpret_cast<const char*>(data), len);
  }
  return 0;
}

int Http2Codec::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                              void* user_data) {
  auto* self = static_cast<Http2Codec*>(user_data);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  CodecListener* listener = it->second.listener;
  self->streams_.erase(it);
  if (listener != nullptr) self->observer_->onStreamClosed(listener, error_code);
  return 0;
}

}  // namespace loadgen
