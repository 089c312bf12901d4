#include "config/value_syntax.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "config/units.h"

namespace ssegate::config {
namespace {

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

bool isAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// DNS name: dot-separated labels of [A-Za-z0-9-], each 1..63 bytes, not starting or ending with
// '-'; 253 bytes at most. All-numeric names must be valid IPv4 literals.
bool hostNameOk(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  const bool numeric = std::all_of(host.begin(), host.end(),
                                   [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  if (numeric) {
    in_addr addr{};
    return inet_pton(AF_INET, std::string(host).c_str(), &addr) == 1;
  }
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

bool isIpv6(std::string_view host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

bool parsePort(std::string_view text, uint16_t* port, std::string* error) {
  std::string why;
  const auto value = parseUnsigned(text, &why);
  if (!value || *value < 1 || *value > 65535) {
    return fail(error, "invalid port \"" + std::string(text) + "\" (expected 1..65535)");
  }
  *port = static_cast<uint16_t>(*value);
  return true;
}

// Splits "host[:port]" / "[v6][:port]". *has_port tells whether a port was written.
bool parseHostPort(std::string_view text, std::string* host, uint16_t* port, bool* has_port,
                   std::string* error) {
  std::string_view rest;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(error, "missing ']' in IPv6 address");
    const std::string_view v6 = text.substr(1, close - 1);
    if (!isIpv6(v6)) return fail(error, "invalid IPv6 address \"" + std::string(v6) + "\"");
    *host = std::string(v6);
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return fail(error, "IPv6 addresses must be written in brackets, e.g. \"[::1]:8080\"");
    }
    const std::string_view name = text.substr(0, colon);
    if (name.empty()) return fail(error, "missing host");
    if (!hostNameOk(name)) return fail(error, "invalid host \"" + std::string(name) + "\"");
    *host = std::string(name);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  *has_port = !rest.empty();
  if (rest.empty()) return true;
  if (rest[0] != ':') return fail(error, "unexpected text after the host");
  return parsePort(rest.substr(1), port, error);
}

}  // namespace

bool isHostName(std::string_view host) {
  return hostNameOk(host);
}

bool parseAddress(std::string_view text, Address* out, std::string* error) {
  std::string host;
  uint16_t port = 0;
  bool has_port = false;
  if (!parseHostPort(text, &host, &port, &has_port, error)) {
    // Prefix the reason so that "missing host" etc. say what was being parsed.
    if (error != nullptr) *error = "invalid address \"" + std::string(text) + "\": " + *error;
    return false;
  }
  if (!has_port) {
    return fail(error, "address \"" + std::string(text) +
                           "\" needs a port (\"host:port\", IPv6 as \"[::1]:8080\")");
  }
  out->host = std::move(host);
  out->port = port;
  out->text = std::string(text);
  return true;
}

bool parseHttpUrl(std::string_view text, HttpUrl* out, std::string* error) {
  const auto hasPrefixNoCase = [&](std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
  };
  HttpUrl url;
  std::string_view rest;
  if (hasPrefixNoCase("http://")) {
    rest = text.substr(7);
  } else if (hasPrefixNoCase("https://")) {
    url.https = true;
    rest = text.substr(8);
  } else {
    return fail(error, "url \"" + std::string(text) + "\" must start with http:// or https://");
  }
  const size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  const std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return fail(error, "url \"" + std::string(text) + "\" must not contain user information");
  }
  bool has_port = false;
  std::string why;
  if (!parseHostPort(authority, &url.host, &url.port, &has_port, &why)) {
    return fail(error, "invalid url \"" + std::string(text) + "\": " + why);
  }
  if (!has_port) url.port = url.https ? 443 : 80;
  if (tail.find('#') != std::string_view::npos) {
    return fail(error, "url \"" + std::string(text) + "\" must not contain a fragment");
  }
  for (char c : tail) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return fail(error, "url \"" + std::string(text) + "\" contains an invalid character");
    }
  }
  url.path = std::string(tail);
  *out = std::move(url);
  return true;
}

bool isHttpToken(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    if (isAlnum(c)) return true;
    switch (c) {
      case '!':
      case '#':
      case '$':
      case '%':
      case '&':
      case '\'':
      case '*':
      case '+':
      case '-':
      case '.':
      case '^':
      case '_':
      case '`':
      case '|':
      case '~':
        return true;
      default:
        return false;
    }
  });
}

bool isHeaderValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

bool isCorsOrigin(std::string_view text, std::string* error) {
  if (text == "*") return true;
  HttpUrl url;
  std::string why;
  if (!parseHttpUrl(text, &url, &why)) return fail(error, "invalid origin: " + why);
  if (!url.path.empty()) {
    return fail(error,
                "origin \"" + std::string(text) + "\" must not have a path or a trailing '/'");
  }
  return true;
}

}  // namespace ssegate::config
