// Small HTTP helpers shared by the downstream codecs: status texts, the one-line error
// responses of DESIGN A4, query-string lookup with percent-decoding. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ssegate::downstream {

const char* statusText(int status);

// "HTTP/1.1 <status> <text>" with Content-Type text/plain, Content-Length and Connection: close,
// and a one-line body. Extra header lines (each ending in CRLF) go before the blank line.
std::string errorResponse(int status, std::string_view body, std::string_view extra_headers = {});

// The decoded value of `name` in a query string ("a=1&b=2"), or nullopt. Values that decode to
// CR, LF or NUL are refused (nullopt) so that they can never reach a header or an SSE line.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

bool percentDecode(std::string_view in, std::string* out);

}  // namespace ssegate::downstream
