#include "channel/sse_encoder.h"

#include "channel/line_end.h"

#include <algorithm>
#include <charconv>

namespace ssegate::channel {
namespace {

constexpr std::string_view kLineEndChars = "\r\n";
constexpr std::string_view kIdForbiddenChars("\r\n\0", 3);

void appendField(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  if (value.empty()) {
    out->append(":\n");
    return;
  }
  out->append(": ");
  out->append(value);
  out->push_back('\n');
}

}  // namespace

void appendEvent(const SseEvent& event, std::string* out) {
  const std::string_view data = event.data;
  if (out->empty()) {
    // Exact for events from the parser: "data: " + '\n' per line, plus the other fields.
    const size_t lines = static_cast<size_t>(std::count(data.begin(), data.end(), '\n')) + 1;
    out->reserve(event.id.size() + event.type.size() + data.size() + 6 * lines + 16);
  }
  if (event.has_id && event.id.find_first_of(kIdForbiddenChars) == std::string::npos) {
    appendField("id", event.id, out);
  }
  if (!event.type.empty() && event.type.find_first_of(kLineEndChars) == std::string::npos) {
    appendField("event", event.type, out);
  }
  size_t pos = 0;
  for (;;) {
    const size_t end = findLineEnd(data, pos);
    if (end == std::string_view::npos) {
      appendField("data", data.substr(pos), out);
      break;
    }
    appendField("data", data.substr(pos, end - pos), out);
    pos = end + 1;
    if (data[end] == '\r' && pos < data.size() && data[pos] == '\n') ++pos;
  }
  out->push_back('\n');
}

void appendRetry(uint64_t millis, std::string* out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), millis);
  appendField("retry", std::string_view(digits, static_cast<size_t>(result.ptr - digits)), out);
}

void appendComment(std::string_view text, std::string* out) {
  if (text.empty()) {
    out->append(":\n");
    return;
  }
  out->append(": ");
  const size_t start = out->size();
  out->append(text);
  std::replace_if(
      out->begin() + static_cast<std::ptrdiff_t>(start), out->end(),
      [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out->push_back('\n');
}

void appendKeepalive(std::string* out) {
  out->append(kKeepaliveComment);
}

}  // namespace ssegate::channel
