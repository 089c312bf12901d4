#include "channel/encoded_event.h"

#include <cstdio>

namespace ssegate::channel {

EncodedEventPtr EncodedEvent::make(std::string id, std::string_view payload, uint64_t seq,
                                   int64_t received_us) {
  return std::make_shared<const EncodedEvent>(std::move(id), payload, seq, received_us);
}

EncodedEvent::EncodedEvent(std::string id, std::string_view payload, uint64_t seq,
                           int64_t received_us)
    : id_(std::move(id)), seq_(seq), received_us_(received_us) {
  char head[24];
  int n = snprintf(head, sizeof head, "%zx\r\n", payload.size());
  bytes_.reserve(static_cast<size_t>(n) + payload.size() + 2);
  bytes_.append(head, static_cast<size_t>(n));
  bytes_.append(payload);
  bytes_.append("\r\n");
  payload_offset_ = static_cast<uint32_t>(n);
  payload_size_ = static_cast<uint32_t>(payload.size());
}

}  // namespace ssegate::channel
