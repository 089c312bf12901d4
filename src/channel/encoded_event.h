// EncodedEvent: one SSE event encoded ONCE into immutable bytes, shared by reference with every
// subscriber on every worker (DESIGN B2: encode once, reference many).
//
// The bytes are laid out as an HTTP/1.1 chunk around the canonical SSE payload,
//   "<hex length>\r\n" <payload> "\r\n"
// so an HTTP/1.1 chunked response writes chunked(), while HTTP/1.0 (close-delimited) and HTTP/2
// DATA frames write payload(): the same buffer, no per-subscriber copy or formatting.
// Immutable after make(); safe to read from any thread; lifetime by shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ssegate::channel {

class EncodedEvent;
using EncodedEventPtr = std::shared_ptr<const EncodedEvent>;

class EncodedEvent {
 public:
  // id: the id subscribers see ("" for frames that are not events: comments, retry lines).
  // seq: the channel's sequence number (0 for frames). received_us: monotonic time the event
  // was read from the origin, for delivery-latency measurement.
  static EncodedEventPtr make(std::string id, std::string_view payload, uint64_t seq = 0,
                              int64_t received_us = 0);

  const std::string& id() const { return id_; }
  uint64_t seq() const { return seq_; }
  int64_t receivedUs() const { return received_us_; }
  std::string_view payload() const {
    return std::string_view(bytes_).substr(payload_offset_, payload_size_);
  }
  std::string_view chunked() const { return bytes_; }

  // Private by intent; public so std::make_shared can reach it. Use make().
  EncodedEvent(std::string id, std::string_view payload, uint64_t seq, int64_t received_us);

 private:
  std::string id_;
  std::string bytes_;
  uint32_t payload_offset_ = 0;
  uint32_t payload_size_ = 0;
  uint64_t seq_ = 0;
  int64_t received_us_ = 0;
};

}  // namespace ssegate::channel
