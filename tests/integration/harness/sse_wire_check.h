// Strict check of the bytes a subscriber received (the de-chunked body of an SSE response): the
// gateway re-encodes canonically, so every line must be LF-terminated (no CR anywhere) and be
// blank, a comment (":..."), or one of the fields "id", "event", "data", "retry" written as
// "name:" plus an optional space and a value. A "retry" value is ASCII digits; an "id" value has
// no NUL (an EventSource ignores such an id, so forwarding one changes the stream's meaning).
// Anything else is a malformed or injected line.
//
// Pure function of its input; no state. Protocol-agnostic: an HTTP/2 test feeds the DATA bytes.
#pragma once

#include <string>
#include <string_view>

namespace ssegate::integration {

// "" when `body` is a canonical event stream; else the first offending line, its byte offset
// and why. A trailing partial line (no LF yet) is accepted unless `complete`.
std::string checkCanonicalSseWire(std::string_view body, bool complete = false);

// `bytes` with CR, LF, NUL and non-printable bytes escaped, at most `max` bytes shown.
std::string escapeBytes(std::string_view bytes, size_t max = 120);

}  // namespace ssegate::integration
