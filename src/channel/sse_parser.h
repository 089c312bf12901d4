// SseParser: incremental parser for a text/event-stream byte stream, implementing the HTML Living
// Standard's "event stream interpretation" (a BOM skipped once at the start; CRLF, LF and CR line
// ends; comments; data/event/id/retry fields; dispatch on a blank line).
//
// Threading: none. One owner (the upstream connection of a channel) feeds it from one loop.
// Contract:
//   - feed() accepts arbitrary slices of the stream; any split of the same bytes into reads gives
//     the same callbacks in the same order (including a CR ending one read and its LF starting
//     the next, and a BOM split across reads).
//   - Bytes are not UTF-8 validated: they pass through unchanged. CR and LF never occur inside a
//     UTF-8 sequence, so splitting bytes is equivalent to splitting the decoded text, and an
//     EventSource decoding the re-encoded bytes sees the same characters.
//   - An event is only dispatched by a blank line: an unfinished event at the end of a
//     connection is discarded by reset(), which also re-arms BOM skipping. The last-event-id
//     buffer survives reset() (it is what a reconnect sends as Last-Event-ID).
//   - Memory is bounded by max_event_bytes. Let "accumulated" be the current event's data buffer
//     + event type + id (if set in this block). When accumulated + the length of the current
//     line (so far, without its line end) exceeds max_event_bytes, the event is dropped:
//     onOversizedEvent() is called once, buffers are cleared and every line is ignored until the
//     blank line that ends the event. A comment line is the exception: it never drops an event;
//     its text is truncated so that the line fits (comments carry no event data).
//   - REQUIRES: a Handler must not call back into the same parser (feed/reset/clear) from a
//     callback; the string_view given to onComment is valid only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "channel/sse_event.h"

namespace ssegate::channel {

class SseParser {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A complete event (data buffer was not empty at the blank line).
    virtual void onEvent(SseEvent&& event) = 0;
    // A valid retry field: ASCII digits only, non-empty; saturates at UINT64_MAX.
    virtual void onRetry(uint64_t millis) = 0;
    // A comment line; `text` follows the ':' with one leading space removed (as for fields).
    virtual void onComment(std::string_view text) { (void)text; }
    // An event exceeded max_event_bytes and is being dropped (once per dropped event).
    virtual void onOversizedEvent() {}
  };

  static constexpr size_t kDefaultMaxEventBytes = size_t{1} << 20;

  explicit SseParser(size_t max_event_bytes = kDefaultMaxEventBytes);

  // Parses the next slice of the stream, calling `handler` for everything it completes.
  void feed(std::string_view bytes, Handler& handler);

  // Starts a new stream (new connection): forgets the partial line and the unfinished event,
  // re-arms BOM skipping. Keeps lastEventId().
  void reset();

  // The persistent last-event-id buffer: the last id field without NUL, across events and
  // reset(). An id field in a block that dispatches no event still updates it.
  const std::string& lastEventId() const { return last_event_id_; }
  // The id to resume from (Last-Event-ID on reconnect): the last-event-id buffer as of the last
  // dispatch step. An id read in an event that never completed does not count.
  const std::string& resumeId() const { return resume_id_; }
  // Starts from a known position, as if an event with this id had been dispatched (a new
  // channel resuming where its first subscriber left off).
  void setResumeId(std::string id) {
    last_event_id_ = id;
    resume_id_ = std::move(id);
  }

  // Empties the last-event-id buffer (and forgets an id already seen in the current block).
  void clearLastEventId();

  size_t maxEventBytes() const { return max_event_bytes_; }

  // Bytes currently held for the unfinished line and event; never above maxEventBytes().
  size_t bufferedBytes() const { return accumulatedBytes() + line_.size(); }

 private:
  enum class BomState { kPending, kDone };

  void consume(std::string_view bytes, Handler& handler);
  void appendPartialLine(std::string_view chunk, Handler& handler);
  void finishLine(std::string_view tail, Handler& handler);
  void processLine(std::string_view line, Handler& handler);
  void processField(std::string_view name, std::string_view value, Handler& handler);
  void deliverComment(std::string_view line, Handler& handler);
  void dispatch(Handler& handler);
  void dropEvent(Handler& handler);
  void clearLine();
  size_t accumulatedBytes() const;
  size_t budget() const { return max_event_bytes_ - accumulatedBytes(); }

  const size_t max_event_bytes_;

  BomState bom_state_ = BomState::kPending;
  size_t bom_matched_ = 0;  // BOM bytes seen so far while kPending (0..2)

  bool skip_lf_ = false;  // the last byte consumed was a CR: an LF next is part of its line end

  // The current line when it spans reads; empty when the line is being parsed in place.
  std::string line_;
  bool comment_truncated_ = false;   // line_ is a comment cut at the budget; drop its rest
  bool skipping_event_ = false;      // dropping an oversized event until its blank line
  bool skip_line_nonempty_ = false;  // while skipping: the current line has bytes

  std::string data_;  // data buffer: each data value followed by '\n'
  std::string type_;  // event type buffer
  bool has_id_ = false;
  std::string last_event_id_;
  std::string resume_id_;
};

}  // namespace ssegate::channel
