#include "config/path_template.h"

#include <algorithm>

namespace ssegate::config {
namespace {

bool isAlpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isHex(char c) {
  return isDigit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// RFC 3986 unreserved: the only characters a captured segment may contain.
bool isUnreserved(char c) {
  return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool isSubDelim(char c) {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

// pchar without percent-escapes: what a literal route segment may contain.
bool isRouteLiteralChar(char c) {
  return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@';
}

// Upstream templates may also carry '/', a query ('?') and percent-escapes (checked separately).
bool isUpstreamLiteralChar(char c) {
  return isRouteLiteralChar(c) || c == '/' || c == '?' || c == '%';
}

bool isValidName(std::string_view name) {
  if (name.empty() || !(isAlpha(name[0]) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isAlpha(c) || isDigit(c) || c == '_'; });
}

bool isCapturable(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  return std::all_of(segment.begin(), segment.end(), isUnreserved);
}

std::string describeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
  }
  return std::string("'") + c + "'";
}

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

std::nullopt_t reject(std::string* error, std::string message) {
  fail(error, std::move(message));
  return std::nullopt;
}

std::string at(size_t pos) {
  return " at position " + std::to_string(pos + 1);
}

// Parses "{name}" starting at text[pos] == '{'. On success stores the name and the index one past
// '}' in *end.
bool parseVariable(std::string_view text, size_t pos, std::string_view* name, size_t* end,
                   std::string* error) {
  const size_t close = text.find('}', pos + 1);
  if (close == std::string_view::npos) return fail(error, "unclosed '{'" + at(pos));
  *name = text.substr(pos + 1, close - pos - 1);
  if (!isValidName(*name)) {
    return fail(error, "invalid variable name \"" + std::string(*name) + "\"" + at(pos) +
                           " (expected [A-Za-z_][A-Za-z0-9_]*)");
  }
  *end = close + 1;
  return true;
}

void appendEncoded(std::string* out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (value == "." || value == "..") {
    for (size_t i = 0; i < value.size(); ++i) out->append("%2E");
    return;
  }
  for (char c : value) {
    if (isUnreserved(c)) {
      out->push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out->push_back('%');
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    }
  }
}

}  // namespace

std::optional<PathTemplate> PathTemplate::compile(std::string_view text, std::string* error) {
  return build(text, /*route=*/true, error);
}

std::optional<PathTemplate> PathTemplate::compileUpstream(std::string_view text,
                                                          std::string* error) {
  return build(text, /*route=*/false, error);
}

std::optional<PathTemplate> PathTemplate::build(std::string_view text, bool route,
                                                std::string* error) {
  if (text.empty()) return reject(error, "empty path template");
  if (text[0] != '/') return reject(error, "path template must start with '/'");

  PathTemplate t;
  t.text_ = std::string(text);
  t.route_ = route;

  auto addName = [&](std::string_view name, size_t pos) -> int {
    auto it = std::find(t.names_.begin(), t.names_.end(), name);
    if (it != t.names_.end()) {
      if (route) {
        fail(error, "duplicate variable {" + std::string(name) + "}" + at(pos));
        return -1;
      }
      return static_cast<int>(it - t.names_.begin());
    }
    t.names_.emplace_back(name);
    return static_cast<int>(t.names_.size() - 1);
  };

  if (route) {
    // Segments between '/'. An empty segment is allowed only at the end ("/" or "/events/").
    size_t pos = 1;
    while (true) {
      size_t slash = text.find('/', pos);
      const bool last = slash == std::string_view::npos;
      if (last) slash = text.size();
      const std::string_view segment = text.substr(pos, slash - pos);
      Part part;
      if (segment.empty() && !last) {
        return reject(error, "empty path segment" + at(pos));
      }
      if (!segment.empty() && segment[0] == '{') {
        std::string_view name;
        size_t end = 0;
        if (!parseVariable(text, pos, &name, &end, error)) return std::nullopt;
        if (end != slash) {
          return reject(error, "a variable must be a whole path segment" + at(pos));
        }
        part.variable = addName(name, pos);
        if (part.variable < 0) return std::nullopt;
        t.literal_bytes_ += 2;  // '/' and at least one captured character
      } else {
        if (segment == "." || segment == "..") {
          return reject(error, "dot-segment \"" + std::string(segment) + "\"" + at(pos));
        }
        for (size_t i = 0; i < segment.size(); ++i) {
          const char c = segment[i];
          if (c == '{' || c == '}') {
            return reject(error, "a variable must be a whole path segment" + at(pos + i));
          }
          if (!isRouteLiteralChar(c)) {
            return reject(error, "invalid character " + describeChar(c) + at(pos + i));
          }
        }
        part.literal = std::string(segment);
        t.literal_bytes_ += 1 + segment.size();
      }
      t.parts_.push_back(std::move(part));
      if (last) break;
      pos = slash + 1;
    }
    return t;
  }

  // Upstream template: literal runs and variables anywhere.
  std::string literal;
  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '{') {
      std::string_view name;
      size_t end = 0;
      if (!parseVariable(text, pos, &name, &end, error)) return std::nullopt;
      if (!literal.empty()) t.parts_.push_back(Part{std::move(literal), -1});
      literal.clear();
      t.parts_.push_back(Part{std::string(), addName(name, pos)});
      pos = end;
      continue;
    }
    if (c == '}') return reject(error, "unmatched '}'" + at(pos));
    if (!isUpstreamLiteralChar(c)) {
      return reject(error, "invalid character " + describeChar(c) + at(pos));
    }
    if (c == '%' && (pos + 2 >= text.size() || !isHex(text[pos + 1]) || !isHex(text[pos + 2]))) {
      return reject(error, "invalid percent-escape" + at(pos));
    }
    literal.push_back(c);
    ++pos;
  }
  if (!literal.empty()) t.parts_.push_back(Part{std::move(literal), -1});
  return t;
}

bool PathTemplate::match(std::string_view path, Captures* captures) const {
  if (!route_ || path.size() < literal_bytes_ || path.empty() || path[0] != '/') return false;
  // First pass: compare without writing anything.
  size_t pos = 1;
  const size_t n = parts_.size();
  for (size_t i = 0; i < n; ++i) {
    size_t slash = path.find('/', pos);
    if (i + 1 == n) {
      if (slash != std::string_view::npos) return false;  // more segments than the template
      slash = path.size();
    } else if (slash == std::string_view::npos) {
      return false;  // fewer segments than the template
    }
    const std::string_view segment = path.substr(pos, slash - pos);
    const Part& part = parts_[i];
    if (part.variable < 0 ? segment != part.literal : !isCapturable(segment)) return false;
    pos = slash + 1;
  }
  if (captures == nullptr) return true;
  // Second pass: the path is known to match; copy the captured segments out.
  captures->clear();
  if (names_.empty()) return true;
  captures->reserve(names_.size());
  pos = 1;
  for (size_t i = 0; i < n; ++i) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (parts_[i].variable >= 0) {
      captures->emplace_back(names_[parts_[i].variable], path.substr(pos, slash - pos));
    }
    pos = slash + 1;
  }
  return true;
}

std::vector<std::string> PathTemplate::variables() const {
  return names_;
}

bool PathTemplate::hasVariable(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::string PathTemplate::render(
    const std::function<const std::string*(std::string_view name)>& lookup) const {
  std::string out;
  out.reserve(text_.size() + 16);
  for (const Part& part : parts_) {
    if (route_) out.push_back('/');
    if (part.variable < 0) {
      out.append(part.literal);
    } else if (const std::string* value = lookup(names_[part.variable]); value != nullptr) {
      appendEncoded(&out, *value);
    }
  }
  return out;
}

}  // namespace ssegate::config
