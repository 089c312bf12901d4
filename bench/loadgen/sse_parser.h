// SseParser: incremental text/event-stream parser (WHATWG "event stream interpretation").
//
// Feed it the response body in pieces of any size; it calls SseListener::onEvent once per
// dispatched event with the last event id and the data (lines joined by '\n'). Handles CR, LF and
// CRLF line ends split anywhere, comments, and "data" without a space. `event` and `retry` are
// accepted and ignored (the load generator does not need them). Complete lines inside one piece
// are parsed in place; only a line split across pieces is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

class SseListener {
 public:
  virtual ~SseListener() = default;
  virtual void onEvent(std::string_view id, std::string_view data) = 0;
};

class SseParser {
 public:
  static constexpr size_t kMaxLineBytes = 1 << 20;

  explicit SseParser(SseListener* listener) : listener_(listener) {}

  void feed(const char* data, size_t size);
  void reset();
  uint64_t oversizedLines() const { return oversized_lines_; }

 private:
  void processLine(std::string_view line);

  SseListener* listener_;
  std::string partial_;  // a line that has not ended yet
  std::string data_;
  std::string id_;
  bool has_data_ = false;
  bool skip_lf_ = false;  // the last piece ended with CR: a leading LF belongs to it
  bool discarding_ = false;
  uint64_t oversized_lines_ = 0;
};

}  // namespace loadgen
