#include "sse_parser.h"

#include <cstring>

namespace loadgen {

void SseParser::reset() {
  partial_.clear();
  data_.clear();
  id_.clear();
  has_data_ = skip_lf_ = discarding_ = false;
}

void SseParser::feed(const char* data, size_t size) {
  size_t pos = 0;
  if (skip_lf_ && size > 0) {
    if (data[0] == '\n') pos = 1;
    skip_lf_ = false;
  }
  while (pos < size) {
    // Lines end in LF far more often than in CR: find the LF, then any CR before it.
    const void* lf = std::memchr(data + pos, '\n', size - pos);
    size_t limit = lf != nullptr ? static_cast<size_t>(static_cast<const char*>(lf) - data) : size;
    const void* cr = std::memchr(data + pos, '\r', limit - pos);
    size_t end = cr != nullptr ? static_cast<size_t>(static_cast<const char*>(cr) - data) : limit;
    if (end == size) {
      if (partial_.size() + (size - pos) > kMaxLineBytes) {
        ++oversized_lines_;
        partial_.clear();
        discarding_ = true;  // drop the rest of this line
      } else if (!discarding_) {
        partial_.append(data + pos, size - pos);
      }
      return;
    }
    if (discarding_) {
      discarding_ = false;
    } else if (partial_.empty()) {
      processLine(std::string_view(data + pos, end - pos));
    } else {
      partial_.append(data + pos, end - pos);
      processLine(partial_);
      partial_.clear();
    }
    pos = end + 1;
    if (data[end] == '\r') {
      if (pos < size && data[pos] == '\n') {
        ++pos;
      } else if (pos == size) {
        skip_lf_ = true;
      }
    }
  }
}

void SseParser::processLine(std::string_view line) {
  if (line.empty()) {
    if (has_data_) {
      std::string_view data = data_;
      data.remove_suffix(1);  // the '\n' after the last data line
      listener_->onEvent(id_, data);
    }
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment
  std::string_view field = line;
  std::string_view value;
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  }
}

}  // namespace loadgen
