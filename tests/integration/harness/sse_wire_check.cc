#include "harness/sse_wire_check.h"

#include <cstdio>

namespace ssegate::integration {
namespace {

std::string lineProblem(std::string_view line) {
  if (line.empty() || line[0] == ':') return "";
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return "a line that is not a field, comment or blank";
  const std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (name == "data" || name == "event") return "";
  if (name == "id") {
    return value.find('\0') == std::string_view::npos ? "" : "an id with a NUL byte";
  }
  if (name == "retry") {
    if (value.empty()) return "an empty retry value";
    for (char c : value) {
      if (c < '0' || c > '9') return "a retry value that is not ASCII digits";
    }
    if (value.size() > 19) return "a retry value that overflows int64";
    return "";
  }
  return "an unknown field '" + std::string(name) + "'";
}

}  // namespace

std::string escapeBytes(std::string_view bytes, size_t max) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string checkCanonicalSseWire(std::string_view body, bool complete) {
  size_t start = 0;
  while (start < body.size()) {
    const size_t nl = body.find('\n', start);
    const bool partial = nl == std::string_view::npos;
    const std::string_view line = body.substr(start, partial ? std::string_view::npos : nl - start);
    std::string problem;
    if (line.find('\r') != std::string_view::npos) {
      problem = "a CR byte (lines must end in LF only)";
    } else if (partial && complete) {
      problem = "an unterminated last line";
    } else if (!partial) {
      problem = lineProblem(line);
    }
    if (!problem.empty()) {
      return problem + " at byte " + std::to_string(start) + ": '" + escapeBytes(line) + "'";
    }
    if (partial) break;
    start = nl + 1;
  }
  return "";
}

}  // namespace ssegate::integration
