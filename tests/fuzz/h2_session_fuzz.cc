// Fuzz target: an HTTP/2 server session as the gateway will run it (DESIGN A4: flow control,
// stream limits, the libnghttp2 1.52 reset-rate and CONTINUATION limits on).
//
// The gateway's h2 codec does not exist yet, so this drives libnghttp2 directly with the
// settings and options it is meant to use, and answers every complete GET with a short SSE
// response through a data provider, so the send side (flow control, window updates, RST, GOAWAY)
// runs as well. Input: byte 0 picks where the client bytes are split into two reads and, in its
// top bit, whether the client connection preface is sent first (so that most inputs reach the
// frame layer); the rest are client bytes. Checks (abort on failure): no crash or UB; every
// header nghttp2 delivers is lower-case and free of CR, LF and NUL (its HTTP messaging rules,
// on which the codec will rely); mem_recv never claims more bytes than it was given.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "downstream/http2_allocator.h"

namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::string_view kEventBytes = "id: 1\ndata: hello\n\n";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "h2_session_fuzz: %s\n", what);
  std::abort();
}

struct State {
  int responses = 0;
  ssegate::downstream::Http2Allocator::FrameBuffer frames;  // the session's frame buffer
};

// Sends kEventBytes, then ends the stream.
ssize_t readEvents(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* data_flags,
                   nghttp2_data_source*, void*) {
  const size_t n = length < kEventBytes.size() ? length : kEventBytes.size();
  std::memcpy(buf, kEventBytes.data(), n);
  *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int onHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void*) {
  const std::string_view n(reinterpret_cast<const char*>(name), namelen);
  const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos ||
      v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    fail("nghttp2 delivered a header with CR, LF or NUL");
  }
  for (char c : n) {
    if (c >= 'A' && c <= 'Z') fail("nghttp2 delivered an upper-case header name");
  }
  return 0;
}

int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
  auto* state = static_cast<State*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST ||
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
    return 0;
  }
  const nghttp2_nv headers[] = {
      {const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(":status")),
       const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("200")), 7, 3, NGHTTP2_NV_FLAG_NONE},
      {const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("content-type")),
       const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>("text/event-stream")), 12, 17,
       NGHTTP2_NV_FLAG_NONE},
  };
  nghttp2_data_provider provider;
  provider.source.ptr = nullptr;
  provider.read_callback = &readEvents;
  if (nghttp2_submit_response(session, frame->hd.stream_id, headers, 2, &provider) == 0) {
    ++state->responses;
  }
  return 0;
}

nghttp2_session* newSession(State* state) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &onFrameRecv);

  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_max_continuations(option, 8);
  nghttp2_option_set_stream_reset_rate_limit(option, 1000, 33);
  nghttp2_option_set_max_settings(option, 32);

  nghttp2_session* session = nullptr;
  // Through the gateway's allocator (frame buffers in page-backed slots), as Http2Connection.
  nghttp2_mem mem = ssegate::downstream::Http2Allocator::mem(&state->frames);
  state->frames.recording = true;
  const int rv = nghttp2_session_server_new3(&session, callbacks, state, option, &mem);
  state->frames.recording = false;
  if (rv != 0) {
    fail("session_new");
  }
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  // As config http2: defaults (max_concurrent_streams 128, initial_window_size 1MiB).
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 128},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
  };
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 2);
  return session;
}

// Drains what the session wants to send (to nowhere), then gives the frame buffer's pages back
// as an idle Http2Connection does. False once the session is done.
bool flush(nghttp2_session* session, State* state) {
  for (;;) {
    const uint8_t* out = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &out);
    if (n < 0) return false;
    if (n == 0) break;
  }
  ssegate::downstream::Http2Allocator::shared().dropPages(state->frames);
  return nghttp2_session_want_read(session) || nghttp2_session_want_write(session);
}

bool receive(nghttp2_session* session, State* state, const uint8_t* data, size_t len) {
  const ssize_t n = nghttp2_session_mem_recv(session, data, len);
  if (n < 0) return false;  // the gateway closes the connection (after GOAWAY)
  if (static_cast<size_t>(n) != len) fail("mem_recv consumed a different byte count");
  return flush(session, state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool send_preface = (data[0] & 0x80) == 0;
  const uint8_t* bytes = data + 1;
  const size_t len = size - 1;
  const size_t split = len * (data[0] & 0x7f) / 127;

  State state;
  nghttp2_session* session = newSession(&state);
  bool alive = flush(session, &state);
  if (alive && send_preface) {
    alive = receive(session, &state, reinterpret_cast<const uint8_t*>(kPreface.data()),
                    kPreface.size());
  }
  if (alive) alive = receive(session, &state, bytes, split);
  if (alive) receive(session, &state, bytes + split, len - split);
  nghttp2_session_del(session);
  return 0;
}
