// Token extraction: where a subscriber's JWT comes from (DESIGN A3 identity.jwt.sources), and
// the redaction that keeps it out of logs.
//
// Independent of the HTTP codecs: the caller passes a header lookup and the raw query string, so
// the HTTP/1 and HTTP/2 paths share one implementation. Sources are tried in config order and the
// first one that yields a non-empty token wins; a source that is present but unusable (an
// "Authorization: Basic ..." header, an empty cookie) is skipped, not an error, because the
// verifier will refuse whatever is (or is not) found anyway.
//
// The query parameter is found by comparing percent-decoded names, in extraction and redaction
// alike, so a name spelled "%61ccess_token" is both used and redacted. Parameters are separated
// by '&' only.
//
// Pure functions, safe from any thread. Returned views point into the caller's strings.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace ssegate::identity {

// Returns the value of the request header `name` (ASCII case-insensitive), or nullopt. The view
// must stay valid until extractToken returns. Repeated "Cookie" fields (HTTP/2 cookie crumbs,
// RFC 9113 8.2.3) must be joined with "; " by the caller.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

struct ExtractedToken {
  std::string token;
  config::JwtSource source = config::JwtSource::kHeader;
};

// `query` is the raw query of the request target: after '?', without it. nullopt = no token.
std::optional<ExtractedToken> extractToken(const config::Jwt& jwt, const HeaderLookup& header,
                                           std::string_view query);

// The query part of a raw request target ("/a?b=c#d" -> "b=c"); empty when there is none.
std::string_view queryOf(std::string_view target);

// "Bearer <token>" (scheme case-insensitive, surrounding blanks trimmed) -> token; nullopt for
// another scheme or an empty token.
std::optional<std::string_view> bearerToken(std::string_view authorization);

// The percent-decoded value of the first parameter named `name` (decoded comparison; '+' is a
// space). nullopt when absent or when its value is not valid percent-encoding. "a&b=" gives ""
// for "a" and "b".
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

// The value of the first cookie named `name` (case-sensitive) in a Cookie header "a=b; c=d",
// blanks trimmed and one pair of surrounding double quotes removed.
std::optional<std::string_view> cookieValue(std::string_view cookie_header, std::string_view name);

// RFC 3986 percent-decoding; `plus_is_space` for form-encoded queries. nullopt on a '%' not
// followed by two hex digits.
std::optional<std::string> percentDecode(std::string_view in, bool plus_is_space);

// The raw request target with the value of every query parameter named `param` replaced by
// "REDACTED", everything else byte for byte: "/e/x?access_token=abc&b=1" ->
// "/e/x?access_token=REDACTED&b=1". For access logs and error messages.
std::string redactQuery(std::string_view target, std::string_view param);

}  // namespace ssegate::identity
