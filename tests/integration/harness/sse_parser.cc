#include "harness/sse_parser.h"

#include <cctype>
#include <cstdlib>

namespace ssegate::integration {

void SseParser::feed(std::string_view bytes, std::chrono::steady_clock::time_point at) {
  at_ = at;
  for (char c : bytes) {
    if (c == '\n' && last_was_cr_) {
      last_was_cr_ = false;  // second half of CRLF; the line was already processed at CR
      continue;
    }
    last_was_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      processLine(line_);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::processLine(std::string_view line) {
  if (first_line_) {
    first_line_ = false;
    if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  }
  if (line.empty()) return dispatch();
  if (line.front() == ':') {
    comments_.push_back({std::string(line.substr(1)), at_});
    return;
  }
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_event_id_ = std::string(value);
      pending_id_field_ = true;
    }
  } else if (field == "retry") {
    bool digits = !value.empty();
    for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits)
      retries_.push_back(std::strtoll(std::string(value).c_str(), nullptr, 10));
    else
      unknown_lines_.emplace_back(line);
  } else {
    unknown_lines_.emplace_back(line);
  }
}

void SseParser::dispatch() {
  if (has_data_) {
    const size_t size = data_.size();
    if (size > max_stored_data_) data_.resize(max_stored_data_);
    events_.push_back({last_event_id_, pending_id_field_, event_type_, data_, size, at_});
  }
  data_.clear();
  has_data_ = false;
  event_type_.clear();
  pending_id_field_ = false;
}

}  // namespace ssegate::integration
