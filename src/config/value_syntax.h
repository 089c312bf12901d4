// Syntax checks for the structured scalars of the configuration: listen addresses, http(s) URLs,
// HTTP header names/values and CORS origins.
//
// Free functions, pure and thread-safe, no exceptions. Each returns false (or nullopt) and a
// one-line reason in *error on failure. Used by the key table (key_table.h) and by tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace ssegate::config {

// "host:port", "[v6]:port". host is an IPv4 literal, a bracketed IPv6 literal or a DNS name;
// port is 1..65535. out->host is stored without brackets, out->text as written.
bool parseAddress(std::string_view text, Address* out, std::string* error);

struct HttpUrl {
  bool https = false;
  std::string host;   // without brackets
  uint16_t port = 0;  // explicit port, or 80/443 from the scheme
  std::string path;   // path and query as written, may be empty
};

// "http://host[:port][/path][?query]" or https. No userinfo, no fragment.
bool parseHttpUrl(std::string_view text, HttpUrl* out, std::string* error);

// A DNS name ([A-Za-z0-9-] labels) or an IPv4 literal; not IPv6.
bool isHostName(std::string_view host);

// RFC 9110 token (header field names).
bool isHttpToken(std::string_view text);

// A header value that can be sent as is: no CR, LF or NUL, no other control bytes except tab.
bool isHeaderValue(std::string_view text);

// A CORS origin: "*" or "scheme://host[:port]" with no path.
bool isCorsOrigin(std::string_view text, std::string* error);

}  // namespace ssegate::config
