#include "identity/token_source.h"

#include <cstddef>

namespace ssegate::identity {
namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trimBlanks(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls fn(name, value_begin, value_end, has_value) for each '&'-separated parameter of `query`,
// with offsets into `query`; stops when fn returns false.
template <typename Fn>
void forEachParam(std::string_view query, Fn&& fn) {
  size_t begin = 0;
  while (begin <= query.size()) {
    size_t end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(begin, end - begin);
    const size_t eq = pair.find('=');
    const bool has_value = eq != std::string_view::npos;
    const std::string_view name = has_value ? pair.substr(0, eq) : pair;
    const size_t value_begin = has_value ? begin + eq + 1 : end;
    if (!fn(name, value_begin, end, has_value)) return;
    begin = end + 1;
  }
}

bool nameMatches(std::string_view raw_name, std::string_view wanted) {
  if (raw_name == wanted) return true;
  if (raw_name.find_first_of("%+") == std::string_view::npos) return false;
  const std::optional<std::string> decoded = percentDecode(raw_name, true);
  return decoded && *decoded == wanted;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hexValue(in[i + 1]);
      const int lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view queryOf(std::string_view target) {
  const size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  const size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::optional<std::string_view> bearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  const std::string_view value = trimBlanks(authorization);
  if (value.size() <= kScheme.size() || !equalsIgnoreCase(value.substr(0, 6), kScheme) ||
      !isBlank(value[kScheme.size()])) {
    return std::nullopt;
  }
  const std::string_view token = trimBlanks(value.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  std::optional<std::string> result;
  forEachParam(query, [&](std::string_view raw_name, size_t begin, size_t end, bool) {
    if (!nameMatches(raw_name, name)) return true;
    result = percentDecode(query.substr(begin, end - begin), true);
    return false;
  });
  return result;
}

std::optional<std::string_view> cookieValue(std::string_view cookie_header, std::string_view name) {
  size_t begin = 0;
  while (begin <= cookie_header.size()) {
    size_t end = cookie_header.find(';', begin);
    if (end == std::string_view::npos) end = cookie_header.size();
    const std::string_view pair = cookie_header.substr(begin, end - begin);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trimBlanks(pair.substr(0, eq)) == name) {
      std::string_view value = trimBlanks(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    begin = end + 1;
  }
  return std::nullopt;
}

std::optional<ExtractedToken> extractToken(const config::Jwt& jwt, const HeaderLookup& header,
                                           std::string_view query) {
  for (const config::JwtSource source : jwt.sources) {
    std::optional<std::string> token;
    switch (source) {
      case config::JwtSource::kHeader:
        if (header) {
          if (const auto value = header("Authorization")) {
            if (const auto bearer = bearerToken(*value)) token.emplace(*bearer);
          }
        }
        break;
      case config::JwtSource::kQuery:
        if (!jwt.query_param.empty()) token = queryParam(query, jwt.query_param);
        break;
      case config::JwtSource::kCookie:
        if (header && !jwt.cookie.empty()) {
          if (const auto value = header("Cookie")) {
            if (const auto cookie = cookieValue(*value, jwt.cookie)) token.emplace(*cookie);
          }
        }
        break;
    }
    if (token && !token->empty()) return ExtractedToken{std::move(*token), source};
  }
  return std::nullopt;
}

std::string redactQuery(std::string_view target, std::string_view param) {
  constexpr std::string_view kRedacted = "REDACTED";
  const size_t q = target.find('?');
  if (q == std::string_view::npos || param.empty()) return std::string(target);
  size_t query_end = target.find('#', q);
  if (query_end == std::string_view::npos) query_end = target.size();
  const std::string_view query = target.substr(q + 1, query_end - q - 1);

  std::string out(target.substr(0, q + 1));
  size_t copied = 0;  // offset in `query` up to which bytes are in `out`
  forEachParam(query, [&](std::string_view raw_name, size_t begin, size_t end, bool has_value) {
    if (has_value && begin < end && nameMatches(raw_name, param)) {
      out.append(query.substr(copied, begin - copied));
      out.append(kRedacted);
      copied = end;
    }
    return true;
  });
  out.append(query.substr(copied));
  out.append(target.substr(query_end));
  return out;
}

}  // namespace ssegate::identity
