#include "channel/sse_parser.h"

#include "channel/line_end.h"

#include <limits>
#include <utility>

namespace ssegate::channel {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
// A line buffer that grew past this (one long line) is released rather than kept per channel.
constexpr size_t kMaxRetainedLineCapacity = 4096;

// Removes the single optional space that follows the ':' of a field or comment.
std::string_view stripOneSpace(std::string_view value) {
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

// The retry rule: non-empty, ASCII digits only, base ten. Saturates instead of overflowing.
bool parseRetry(std::string_view value, uint64_t* millis) {
  if (value.empty()) return false;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t result = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    result = result > (kMax - digit) / 10 ? kMax : result * 10 + digit;
  }
  *millis = result;
  return true;
}

}  // namespace

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void SseParser::feed(std::string_view bytes, Handler& handler) {
  if (bom_state_ == BomState::kPending) {
    size_t i = 0;
    while (i < bytes.size() && bom_matched_ < kBom.size() && bytes[i] == kBom[bom_matched_]) {
      ++bom_matched_;
      ++i;
    }
    if (bom_matched_ == kBom.size()) {
      bom_state_ = BomState::kDone;
      bytes.remove_prefix(i);
    } else if (i == bytes.size()) {
      return;  // Everything so far is a BOM prefix: wait for more bytes to decide.
    } else {
      // Not a BOM: the held prefix is ordinary stream content. It equals kBom's first bytes.
      bom_state_ = BomState::kDone;
      const size_t held = bom_matched_;
      bom_matched_ = 0;
      consume(kBom.substr(0, held), handler);
      bytes.remove_prefix(i);
    }
  }
  consume(bytes, handler);
}

void SseParser::consume(std::string_view bytes, Handler& handler) {
  if (bytes.empty()) return;
  size_t pos = 0;
  if (skip_lf_) {
    skip_lf_ = false;
    if (bytes.front() == '\n') pos = 1;
  }
  while (pos < bytes.size()) {
    size_t end = findLineEnd(bytes, pos);
    if (end == std::string_view::npos) {
      appendPartialLine(bytes.substr(pos), handler);
      return;
    }
    finishLine(bytes.substr(pos, end - pos), handler);
    if (bytes[end] == '\r') {
      if (end + 1 == bytes.size()) {
        skip_lf_ = true;  // The LF, if any, arrives with the next read.
      } else if (bytes[end + 1] == '\n') {
        ++end;
      }
    }
    pos = end + 1;
  }
}

void SseParser::appendPartialLine(std::string_view chunk, Handler& handler) {
  if (skipping_event_) {
    skip_line_nonempty_ = true;
    return;
  }
  if (comment_truncated_) return;
  const size_t room = budget() - line_.size();
  if (chunk.size() <= room) {
    line_.append(chunk);
    return;
  }
  const char first = line_.empty() ? chunk.front() : line_.front();
  if (first == ':') {
    line_.append(chunk.substr(0, room));
    comment_truncated_ = true;
    return;
  }
  dropEvent(handler);
  skip_line_nonempty_ = true;
}

void SseParser::finishLine(std::string_view tail, Handler& handler) {
  if (skipping_event_) {
    const bool blank = !skip_line_nonempty_ && tail.empty();
    skip_line_nonempty_ = false;
    if (blank) skipping_event_ = false;  // The dropped event ends here; nothing to dispatch.
    return;
  }
  if (comment_truncated_) {
    deliverComment(line_, handler);
    clearLine();
    return;
  }
  const size_t room = budget();
  if (line_.size() + tail.size() > room) {
    const char first = line_.empty() ? tail.front() : line_.front();
    if (first != ':') {
      dropEvent(handler);  // The line is over: the next blank line ends the dropped event.
      return;
    }
    if (line_.empty()) {
      deliverComment(tail.substr(0, room), handler);
    } else {
      line_.append(tail.substr(0, room - line_.size()));
      deliverComment(line_, handler);
      clearLine();
    }
    return;
  }
  if (line_.empty()) {
    processLine(tail, handler);  // Common case: the whole line is in this read, no copy.
    return;
  }
  line_.append(tail);
  processLine(line_, handler);
  clearLine();
}

void SseParser::processLine(std::string_view line, Handler& handler) {
  if (line.empty()) {
    dispatch(handler);
    return;
  }
  if (line.front() == ':') {
    deliverComment(line, handler);
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    processField(line, std::string_view(), handler);
  } else {
    processField(line.substr(0, colon), stripOneSpace(line.substr(colon + 1)), handler);
  }
}

void SseParser::processField(std::string_view name, std::string_view value, Handler& handler) {
  if (name == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (name == "event") {
    type_.assign(value);
  } else if (name == "id") {
    if (value.find('\0') != std::string_view::npos) return;
    last_event_id_.assign(value);
    has_id_ = true;
  } else if (name == "retry") {
    uint64_t millis = 0;
    if (parseRetry(value, &millis)) handler.onRetry(millis);
  }
  // Any other field name is ignored, as the standard requires.
}

void SseParser::deliverComment(std::string_view line, Handler& handler) {
  // `line` starts with ':' unless a truncation left nothing of it.
  if (!line.empty()) line.remove_prefix(1);
  handler.onComment(stripOneSpace(line));
}

void SseParser::dispatch(Handler& handler) {
  // The spec's "last event ID string": what an EventSource would resume from. Set at every
  // dispatch step, before the empty-data check, and never by an id whose event was cut off.
  resume_id_ = last_event_id_;
  if (data_.empty()) {
    type_.clear();
    has_id_ = false;
    return;
  }
  SseEvent event;
  event.has_id = has_id_;
  if (has_id_) event.id = last_event_id_;
  event.type = std::move(type_);
  data_.pop_back();
  event.data = std::move(data_);
  type_.clear();
  data_.clear();
  has_id_ = false;
  handler.onEvent(std::move(event));
}

void SseParser::dropEvent(Handler& handler) {
  std::string().swap(data_);  // Release: it may be close to max_event_bytes.
  type_.clear();
  has_id_ = false;
  clearLine();
  skipping_event_ = true;
  skip_line_nonempty_ = false;
  handler.onOversizedEvent();
}

void SseParser::clearLine() {
  comment_truncated_ = false;
  if (line_.capacity() > kMaxRetainedLineCapacity) {
    std::string().swap(line_);
  } else {
    line_.clear();
  }
}

void SseParser::reset() {
  bom_state_ = BomState::kPending;
  bom_matched_ = 0;
  skip_lf_ = false;
  clearLine();
  skipping_event_ = false;
  skip_line_nonempty_ = false;
  data_.clear();
  type_.clear();
  has_id_ = false;
  last_event_id_ = resume_id_;  // an id of the event the old stream cut off is forgotten
}

void SseParser::clearLastEventId() {
  last_event_id_.clear();
  resume_id_.clear();
  has_id_ = false;
}

size_t SseParser::accumulatedBytes() const {
  return data_.size() + type_.size() + (has_id_ ? last_event_id_.size() : 0);
}

}  // namespace ssegate::channel
