// Http2Codec: one nghttp2 client session carrying many SSE GET streams over one connection.
//
// Loop thread of the owning MuxConnection; one per connection attempt. Like every codec it never
// touches sockets: received bytes go in through feed(), and takeOutput() returns the frames to
// send (the connection preface and SETTINGS first). Each stream reports to its CodecListener
// (response head, DATA payload) and, when it closes, to the Observer.
//
// Flow control: SETTINGS_INITIAL_WINDOW_SIZE and the connection window are `window` bytes
// (default 1 GiB, so the client never throttles the server); nghttp2 sends WINDOW_UPDATE as data
// is consumed. Server push is disabled.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stream_codec.h"

namespace loadgen {

class Http2Codec {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // The stream of `listener` closed (by either side); `error_code` is the HTTP/2 error code
    // (0 = NO_ERROR). Not called for streams cancelled with reset().
    virtual void onStreamClosed(CodecListener* listener, uint32_t error_code) = 0;
  };

  // `scheme` is "http" or "https"; `head_extra` holds "Name: value\r\n" lines (sent lowercased).
  Http2Codec(Observer* observer, std::string scheme, std::string authority,
             const std::string& head_extra, int32_t window);
  ~Http2Codec();
  Http2Codec(const Http2Codec&) = delete;
  Http2Codec& operator=(const Http2Codec&) = delete;

  bool ok() const { return session_ != nullptr; }
  // Submits GET `path` as a new stream, with a last-event-id header when `last_event_id` is not
  // empty. Returns its id, or a negative nghttp2 error.
  int32_t submit(const std::string& path, CodecListener* listener,
                 const std::string& last_event_id = {});
  // Cancels a stream (RST_STREAM CANCEL); its listener gets no further calls.
  void reset(int32_t stream_id);
  // Received bytes. kError when the session failed (bad frames, GOAWAY handled).
  StreamCodec::Result feed(const char* data, size_t size);
  // Appends the frames nghttp2 wants to send. Returns false on a session error.
  bool takeOutput(std::string* out);
  // True when nghttp2 neither wants to read nor write (e.g. after GOAWAY).
  bool done() const;
  // Streams open on this session (submitted and not closed).
  size_t openStreams() const { return streams_.size(); }

 private:
  static int onHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user_data);
  static int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data);
  static int onDataChunk(nghttp2_session* session, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t len, void* user_data);
  static int onStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                           void* user_data);

  struct StreamState {
    CodecListener* listener;  // null once reset(): no further calls
    int status = 0;
    bool head_done = false;
  };
  StreamState* find(int32_t stream_id);

  Observer* observer_;
  std::string scheme_;
  std::string authority_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, StreamState> streams_;  // submitted and not closed
};

}  // namespace loadgen
