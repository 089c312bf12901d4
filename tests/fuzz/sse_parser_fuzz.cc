// Fuzz target: channel::SseParser and the canonical encoder (src/channel/sse_parser.h,
// src/channel/sse_encoder.h).
//
// Input: byte 0 picks where the stream is split into two feed() calls, byte 1 picks a small
// max_event_bytes (0..127) for the bounded passes; the rest is the event stream.
//
// The parser is checked against a reference interpretation written here: whole-buffer and
// line-based, straight from the HTML "event stream interpretation" rules plus the size rule of
// sse_parser.h. Everything the handler sees (events, retries, comments, oversized drops, in
// order) and lastEventId() must be equal, for a large limit (the plain rules) and a small one,
// for a two-piece split and for byte-by-byte feeding, and again after reset(). bufferedBytes()
// must never exceed the limit. Every event is re-encoded with appendEvent() and must read back
// as itself; encoded output never holds a CR, and an id line never holds a NUL. Any mismatch
// aborts with a description on stderr.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "channel/sse_encoder.h"
#include "channel/sse_event.h"
#include "channel/sse_parser.h"

namespace {

using ssegate::channel::SseEvent;
using ssegate::channel::SseParser;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kLargeLimit = size_t{1} << 20;
constexpr size_t kMaxByteByByte = 8192;

// One handler callback, recorded so that two runs can be compared in order.
struct Item {
  enum class Kind { kEvent, kRetry, kComment, kOversized };
  Kind kind = Kind::kEvent;
  SseEvent event;
  uint64_t retry = 0;
  std::string comment;

  bool operator==(const Item& other) const = default;
};

struct Outcome {
  std::vector<Item> items;
  std::string last_event_id;

  bool operator==(const Outcome& other) const = default;
};

[[noreturn]] void fail(const char* what, std::string_view stream, size_t limit) {
  std::fprintf(stderr, "sse_parser_fuzz: %s (limit %zu, stream %zu bytes)\n", what, limit,
               stream.size());
  std::abort();
}

std::string_view stripOneSpace(std::string_view v) {
  if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

// ---- Reference interpretation (whole buffer, one line at a time) ----

class Reference {
 public:
  explicit Reference(size_t limit) : limit_(limit) {}

  Outcome run(std::string_view s) {
    if (s.substr(0, kBom.size()) == kBom) s.remove_prefix(kBom.size());
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\r' && s[i] != '\n') continue;
      line(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
    // The unfinished last line is never interpreted, but a non-comment one that is already too
    // big drops its event. A parser still deciding whether a BOM starts the stream holds bytes.
    std::string_view tail = s.substr(start);
    const bool bom_prefix = start == 0 && tail.size() < kBom.size() && kBom.starts_with(tail);
    if (!skipping_ && !bom_prefix && !tail.empty() && tail.front() != ':' &&
        accumulated() + tail.size() > limit_) {
      out_.items.push_back(Item{Item::Kind::kOversized, {}, 0, {}});
    }
    return out_;
  }

 private:
  size_t accumulated() const { return data_.size() + type_.size() + (has_id_ ? id_.size() : 0); }

  void line(std::string_view l) {
    if (skipping_) {
      if (l.empty()) skipping_ = false;
      return;
    }
    if (l.empty()) {
      if (!data_.empty()) {
        data_.pop_back();
        out_.items.push_back(
            Item{Item::Kind::kEvent, SseEvent{has_id_ ? id_ : "", has_id_, type_, data_}, 0, {}});
      }
      data_.clear();
      type_.clear();
      has_id_ = false;
      return;
    }
    const size_t room = limit_ - accumulated();
    if (l.front() == ':') {
      l = l.substr(0, room);
      if (!l.empty()) l.remove_prefix(1);
      out_.items.push_back(Item{Item::Kind::kComment, {}, 0, std::string(stripOneSpace(l))});
      return;
    }
    if (l.size() > room) {
      data_.clear();
      type_.clear();
      has_id_ = false;
      skipping_ = true;
      out_.items.push_back(Item{Item::Kind::kOversized, {}, 0, {}});
      return;
    }
    const size_t colon = l.find(':');
    const std::string_view name = l.substr(0, colon);
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : stripOneSpace(l.substr(colon + 1));
    if (name == "data") {
      data_.append(value);
      data_.push_back('\n');
    } else if (name == "event") {
      type_.assign(value);
    } else if (name == "id") {
      if (value.find('\0') == std::string_view::npos) {
        id_.assign(value);
        has_id_ = true;
        out_.last_event_id.assign(value);
      }
    } else if (name == "retry") {
      retry(value);
    }
  }

  void retry(std::string_view value) {
    if (value.empty()) return;
    uint64_t v = 0;
    bool saturated = false;
    for (char c : value) {
      if (c < '0' || c > '9') return;
      const unsigned __int128 next = static_cast<unsigned __int128>(v) * 10 + (c - '0');
      if (next > UINT64_MAX) saturated = true;
      v = saturated ? UINT64_MAX : static_cast<uint64_t>(next);
    }
    out_.items.push_back(Item{Item::Kind::kRetry, {}, v, {}});
  }

  const size_t limit_;
  Outcome out_;
  std::string data_;
  std::string type_;
  std::string id_;
  bool has_id_ = false;
  bool skipping_ = false;
};

// ---- The parser under test ----

class Recorder : public SseParser::Handler {
 public:
  void onEvent(SseEvent&& event) override {
    items.push_back(Item{Item::Kind::kEvent, std::move(event), 0, {}});
  }
  void onRetry(uint64_t millis) override {
    items.push_back(Item{Item::Kind::kRetry, {}, millis, {}});
  }
  void onComment(std::string_view text) override {
    items.push_back(Item{Item::Kind::kComment, {}, 0, std::string(text)});
  }
  void onOversizedEvent() override { items.push_back(Item{Item::Kind::kOversized, {}, 0, {}}); }

  std::vector<Item> items;
};

void feedChecked(SseParser& parser, std::string_view bytes, Recorder& rec,
                 std::string_view stream) {
  parser.feed(bytes, rec);
  if (parser.bufferedBytes() > parser.maxEventBytes()) {
    fail("bufferedBytes() above max_event_bytes", stream, parser.maxEventBytes());
  }
}

Outcome runSplit(SseParser& parser, std::string_view stream, size_t split) {
  Recorder rec;
  feedChecked(parser, stream.substr(0, split), rec, stream);
  feedChecked(parser, stream.substr(split), rec, stream);
  return Outcome{std::move(rec.items), parser.lastEventId()};
}

Outcome runBytes(SseParser& parser, std::string_view stream) {
  Recorder rec;
  for (size_t i = 0; i < stream.size(); ++i) feedChecked(parser, stream.substr(i, 1), rec, stream);
  return Outcome{std::move(rec.items), parser.lastEventId()};
}

void checkParser(std::string_view stream, size_t limit, size_t split) {
  const Outcome expected = Reference(limit).run(stream);
  SseParser parser(limit);
  if (runSplit(parser, stream, split) != expected) fail("split feed != reference", stream, limit);
  // A new connection: the unfinished tail is forgotten, the last event id is kept.
  parser.reset();
  if (runSplit(parser, stream, 0) != expected)
    fail("feed after reset() != reference", stream, limit);
  if (stream.size() <= kMaxByteByByte) {
    SseParser bytewise(limit);
    if (runBytes(bytewise, stream) != expected) fail("byte feed != reference", stream, limit);
  }
}

// ---- Encoder round trips ----

Outcome parseWhole(std::string_view bytes) {
  SseParser parser(kLargeLimit);
  return runSplit(parser, bytes, 0);
}

void checkEncodedShape(const std::string& out, std::string_view stream) {
  if (out.find('\r') != std::string::npos) fail("encoded event contains CR", stream, 0);
  if (out.size() < 2 || out.find("\n\n") != out.size() - 2) {
    fail("encoded event is not exactly one block", stream, 0);
  }
  size_t start = 0;
  while (start < out.size()) {
    const size_t end = out.find('\n', start);
    const std::string_view l = std::string_view(out).substr(start, end - start);
    if (l.starts_with("id:") && l.find('\0') != std::string_view::npos) {
      fail("encoded id line contains NUL", stream, 0);
    }
    start = end + 1;
  }
}

// An event from the parser must read back identically.
void checkRoundTrip(const SseEvent& event, std::string_view stream) {
  std::string out;
  ssegate::channel::appendEvent(event, &out);
  checkEncodedShape(out, stream);
  const Outcome back = parseWhole(out);
  const Outcome want{{Item{Item::Kind::kEvent, event, 0, {}}}, event.has_id ? event.id : ""};
  if (back != want) fail("appendEvent() does not read back as the same event", stream, 0);
}

std::string linesToLf(std::string_view s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      r.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      r.push_back(s[i]);
    }
  }
  return r;
}

// An arbitrary event (not from the parser) follows the encoder's defensive rules.
void checkDefensiveEncoding(std::string_view stream, uint8_t a, uint8_t b) {
  const size_t i = stream.size() * a / 255;
  const size_t j = i + (stream.size() - i) * b / 255;
  SseEvent event;
  event.has_id = (a & 1) != 0;
  event.id = stream.substr(0, i);
  event.type = stream.substr(i, j - i);
  event.data = stream.substr(j);
  std::string out;
  ssegate::channel::appendEvent(event, &out);
  checkEncodedShape(out, stream);

  SseEvent want;
  want.has_id =
      event.has_id && event.id.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
  if (want.has_id) want.id = event.id;
  if (event.type.find_first_of("\r\n") == std::string::npos) want.type = event.type;
  want.data = linesToLf(event.data);
  const Outcome back = parseWhole(out);
  if (back != Outcome{{Item{Item::Kind::kEvent, want, 0, {}}}, want.has_id ? want.id : ""}) {
    fail("appendEvent() of an arbitrary event reads back wrong", stream, 0);
  }

  // Retry and comment lines are single lines that read back as themselves.
  std::string extra;
  const uint64_t retry = (uint64_t{a} << 56) ^ (uint64_t{b} * 0x9E3779B97F4A7C15ull);
  ssegate::channel::appendRetry(retry, &extra);
  ssegate::channel::appendComment(event.type, &extra);
  std::string comment = event.type;
  for (char& c : comment) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  if (extra.find('\r') != std::string::npos) fail("retry/comment line contains CR", stream, 0);
  const Outcome extras = parseWhole(extra);
  if (extras !=
      Outcome{{Item{Item::Kind::kRetry, {}, retry, {}}, Item{Item::Kind::kComment, {}, 0, comment}},
              ""}) {
    fail("appendRetry()/appendComment() read back wrong", stream, 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t split_byte = data[0];
  const size_t small_limit = data[1] % 128;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = stream.size() * split_byte / 255;

  checkParser(stream, kLargeLimit, split);
  checkParser(stream, small_limit, split);

  for (const Item& item : Reference(kLargeLimit).run(stream).items) {
    if (item.kind == Item::Kind::kEvent) checkRoundTrip(item.event, stream);
  }
  checkDefensiveEncoding(stream, data[0], data[1]);
  return 0;
}
