// SseEvent: one dispatched Server-Sent Event, as the HTML "event stream interpretation" defines it.
//
// A plain value type with no thread affinity. Produced by SseParser, consumed by the encoder and
// the channel. Contract: `id` is meaningful only when `has_id` is true and then never contains
// CR, LF or NUL when it comes from SseParser; `data` never contains CR when it comes from
// SseParser (CR is a line end on the wire).
#pragma once

#include <string>

namespace ssegate::channel {

struct SseEvent {
  std::string id;       // value of the last valid id field of THIS event's block (if has_id)
  bool has_id = false;  // an id field without NUL appeared in this event's block
  std::string type;     // event field; empty means "message"
  std::string data;     // data lines joined by '\n', the final newline removed

  bool operator==(const SseEvent& other) const = default;
};

}  // namespace ssegate::channel
