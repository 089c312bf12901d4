// The frames every stream protocol (HTTP/1.1, HTTP/2) writes around a channel's events: the
// opening retry: line and comment, the keepalive comment, and the jittered retry: that ends a
// drained stream. Encoded as EncodedEvents so both protocols frame them like events.
// Pure functions; the keepalive frame is built once per process and shared.
#pragma once

#include <cstdint>

#include "channel/encoded_event.h"

namespace ssegate::channel {

// ":" comment with no content change for an EventSource.
const EncodedEventPtr& keepaliveFrame();

// "retry: <retry_ms>" and a comment, sent at once when a stream starts so that headers and first
// bytes pass through any intermediary.
EncodedEventPtr openingFrame(int64_t retry_ms);

// "retry:" somewhere in [retry_ms, 2 * retry_ms]: streams drained in the same instant then
// reconnect spread out instead of in a storm. `entropy` is any varying number (e.g. uv_hrtime()).
EncodedEventPtr drainFrame(int64_t retry_ms, uint64_t entropy);

}  // namespace ssegate::channel
