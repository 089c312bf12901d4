// CORS (DESIGN A3 cors, A4): the response header lines for a cross-origin request, and the
// answer to a preflight. Pure functions of the configuration and the request; no state.
//
// An Origin not in cors.allow_origins gets no CORS header at all: the browser then blocks the
// response, which is the intended refusal (the request itself is still served, as for a client
// that is not a browser). "*" in allow_origins allows every origin; it is answered as "*"
// unless credentials are allowed (the loader refuses "*" together with allow_credentials, so
// that case echoes the origin only if a future loader allowed it).
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace ssegate::downstream {

class Cors {
 public:
  static constexpr int kMaxAgeSeconds = 600;

  // Whether `origin` may read responses.
  static bool allowed(const config::Cors& cors, std::string_view origin);

  // Header lines (each ending in CRLF) for a response to a request whose Origin header is
  // `origin` (nullptr: none): Access-Control-Allow-Origin, Vary: Origin and, when configured,
  // Access-Control-Allow-Credentials. Empty when the origin is absent or not allowed.
  static std::string responseHeaders(const config::Cors& cors, const std::string* origin);

  // A preflight is an OPTIONS request carrying Access-Control-Request-Method.
  // Header lines for its 204: responseHeaders() plus Access-Control-Allow-Methods: GET, the
  // requested headers among Last-Event-ID, Authorization, Cache-Control and Content-Type, and
  // Access-Control-Max-Age. Empty when the origin is not allowed.
  static std::string preflightHeaders(const config::Cors& cors, const std::string* origin,
                                      const std::string* request_headers);
};

}  // namespace ssegate::downstream
