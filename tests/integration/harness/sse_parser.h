// Incremental text/event-stream parser (the WHATWG EventSource algorithm, just enough for tests):
// lines end in LF, CRLF or CR; "id", "event", "data", "retry" fields; ':' comments; a blank line
// dispatches. Records every dispatched event with the last-event-id in force, every event and
// comment with its arrival time (that of the bytes that completed it, as given to feed()), and
// every retry value.
//
// Single-threaded; owned by the client that feeds it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssegate::integration {

struct SseEvent {
  std::string id;     // the last-event-id buffer when dispatched (EventSource semantics)
  bool has_id_field;  // this event carried its own "id:" line
  std::string type;   // "" means "message"
  std::string data;   // lines joined with '\n', no trailing '\n' (maybe capped, see below)
  size_t data_size;   // the full data length, even when `data` was capped
  std::chrono::steady_clock::time_point at;  // arrival of the bytes that completed it
};

struct SseComment {
  std::string text;  // without the leading ':'
  std::chrono::steady_clock::time_point at;
};

class SseParser {
 public:
  // Events keep at most `max_stored_data` bytes of their data (to hold many large events).
  explicit SseParser(size_t max_stored_data = SIZE_MAX) : max_stored_data_(max_stored_data) {}
  // `at`: when these bytes arrived (a client with kernel receive timestamps passes them).
  void feed(std::string_view bytes,
            std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now());

  const std::vector<SseEvent>& events() const { return events_; }
  const std::vector<SseComment>& comments() const { return comments_; }
  const std::vector<int64_t>& retries() const { return retries_; }
  // Lines this parser could not interpret (unknown fields are legal SSE but suspicious here).
  const std::vector<std::string>& unknownLines() const { return unknown_lines_; }

 private:
  void processLine(std::string_view line);
  void dispatch();

  size_t max_stored_data_;
  std::chrono::steady_clock::time_point at_{};  // of the bytes being fed
  std::string line_;
  bool last_was_cr_ = false;
  bool first_line_ = true;  // a leading UTF-8 BOM is skipped once

  std::string last_event_id_;
  std::string event_type_;
  std::string data_;
  bool has_data_ = false;
  bool pending_id_field_ = false;

  std::vector<SseEvent> events_;
  std::vector<SseComment> comments_;
  std::vector<int64_t> retries_;
  std::vector<std::string> unknown_lines_;
};

}  // namespace ssegate::integration
