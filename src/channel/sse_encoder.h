// Canonical Server-Sent Events encoding: the one form in which ssegate writes events, retry
// lines and comments downstream.
//
// Threading: none; free functions appending to a caller-owned buffer (never clearing it).
// Contract (canonical form): each field is written "name: value\n", or "name:\n" when the value
// is empty, so a value starting with a space survives ("data:  x" reads back " x"). An event is
// "id:" (if has_id), "event:" (if the type is non-empty), one "data:" line per line of data
// (always at least one), then a blank line. SseParser reads appendEvent()'s output back as the
// identical SseEvent, for every event SseParser can produce. Defensive rules for events that did
// not come from SseParser, so that no extra line can ever be injected: an id containing CR, LF
// or NUL is not written (the event goes out without an id); a type containing CR or LF is not
// written (the event goes out as "message"); CR, LF and CRLF in data each end a data line.
// Retry, comment and keepalive output is a single line that changes no event, so it may be put
// between any two appendEvent() outputs (or at the very start of a stream).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "channel/sse_event.h"

namespace ssegate::channel {

// The keepalive comment line written on idle streams.
inline constexpr std::string_view kKeepaliveComment = ": keepalive\n";

// Appends the canonical encoding of `event`, ending with the blank line that dispatches it.
void appendEvent(const SseEvent& event, std::string* out);

// Appends "retry: <millis>\n" (no blank line: a retry field needs none to take effect).
void appendRetry(uint64_t millis, std::string* out);

// Appends ": <text>\n" (":\n" for empty text); CR and LF in `text` become spaces.
void appendComment(std::string_view text, std::string* out);

// Appends kKeepaliveComment.
void appendKeepalive(std::string* out);

}  // namespace ssegate::channel
