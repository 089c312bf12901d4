// StreamCodec: the HTTP layer between a subscriber's transport and its SSE parser.
//
// The seam where HTTP/2 (nghttp2, many streams per connection) will plug in next to HTTP/1.1.
// A codec never touches sockets: the subscriber hands it received bytes and sends what it
// returns. Callbacks run synchronously inside feed()/finish().
#pragma once

#include <cstddef>
#include <string>

namespace loadgen {

class CodecListener {
 public:
  virtual ~CodecListener() = default;
  // The response head arrived. Return false to stop (feed() then returns kStopped).
  virtual bool onResponseHead(int status) = 0;
  // A piece of the (de-chunked) response body.
  virtual void onBody(const char* data, size_t size) = 0;
};

class StreamCodec {
 public:
  enum class Result { kOk, kStopped, kError };

  virtual ~StreamCodec() = default;
  // The bytes that open the stream (request head); called once per connection attempt.
  virtual std::string request() = 0;
  virtual Result feed(const char* data, size_t size) = 0;
  // The transport reached EOF. kOk if that ended the response properly (close-delimited body).
  virtual Result finish() = 0;
};

}  // namespace loadgen
