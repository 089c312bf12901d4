// Unit tests for the canonical SSE encoder: exact bytes for each rule, defensive handling of
// values that could inject lines, and the round-trip property appendEvent -> SseParser ->
// identical SseEvent, under every split of the encoded bytes into reads.
#include "channel/sse_encoder.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "channel/sse_parser.h"

namespace ssegate::channel {
namespace {

using namespace std::literals;  // NOLINT: "...\0..."s keeps embedded NULs.

// Collects everything the parser reports.
class Collector : public SseParser::Handler {
 public:
  void onEvent(SseEvent&& event) override { events.push_back(std::move(event)); }
  void onRetry(uint64_t millis) override { retries.push_back(millis); }
  void onComment(std::string_view text) override { comments.emplace_back(text); }
  void onOversizedEvent() override { ++oversized; }

  std::vector<SseEvent> events;
  std::vector<uint64_t> retries;
  std::vector<std::string> comments;
  int oversized = 0;
};

Collector parse(const std::vector<std::string_view>& chunks) {
  SseParser parser;
  Collector collector;
  for (std::string_view chunk : chunks) parser.feed(chunk, collector);
  return collector;
}

std::string encode(const SseEvent& event) {
  std::string out;
  appendEvent(event, &out);
  return out;
}

SseEvent event(std::string data, std::string type = "") {
  return SseEvent{"", false, std::move(type), std::move(data)};
}

SseEvent eventWithId(std::string id, std::string data, std::string type = "") {
  return SseEvent{std::move(id), true, std::move(type), std::move(data)};
}

// Encodes `events` back to back and checks that the parser gives them back identically when the
// bytes are read whole, and split into two reads at every point.
void expectRoundTrip(const std::vector<SseEvent>& events) {
  std::string wire;
  for (const SseEvent& e : events) appendEvent(e, &wire);
  SCOPED_TRACE("wire: " + wire);
  ASSERT_EQ(parse({wire}).events, events);
  // Every split point for short wires. For long ones (fast under sanitizers): every point
  // within 6 bytes of a line end, where the grammar lives, plus an even spread of the others.
  const size_t step = wire.size() / 1024 + 1;
  std::vector<bool> near_line_end(wire.size() + 1, false);
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] != '\n') continue;
    for (size_t j = i > 6 ? i - 6 : 0; j <= std::min(wire.size(), i + 6); ++j) {
      near_line_end[j] = true;
    }
  }
  for (size_t i = 0; i <= wire.size(); ++i) {
    if (i % step != 0 && !near_line_end[i]) continue;
    const std::string_view view = wire;
    const Collector split = parse({view.substr(0, i), view.substr(i)});
    if (split.events != events) {
      ADD_FAILURE() << "split at " << i;
      return;
    }
  }
}

// ---- Exact bytes -------------------------------------------------------------------------------

TEST(SseEncoderTest, AllFields) {
  EXPECT_EQ(encode(eventWithId("1", "hello", "update")), "id: 1\nevent: update\ndata: hello\n\n");
}

TEST(SseEncoderTest, DataOnly) {
  EXPECT_EQ(encode(event("x")), "data: x\n\n");
}

TEST(SseEncoderTest, EmptyIdIsWrittenWithoutSpace) {
  EXPECT_EQ(encode(eventWithId("", "x")), "id:\ndata: x\n\n");
}

TEST(SseEncoderTest, EmptyDataIsOneEmptyDataLine) {
  EXPECT_EQ(encode(event("")), "data:\n\n");
}

TEST(SseEncoderTest, OneDataLinePerLine) {
  EXPECT_EQ(encode(event("a\n\nb")), "data: a\ndata:\ndata: b\n\n");
  EXPECT_EQ(encode(event("a\n")), "data: a\ndata:\n\n");
  EXPECT_EQ(encode(event("\n")), "data:\ndata:\n\n");
}

TEST(SseEncoderTest, LeadingSpaceSurvives) {
  EXPECT_EQ(encode(event(" x")), "data:  x\n\n");
  EXPECT_EQ(encode(eventWithId(" i", "x", " t")), "id:  i\nevent:  t\ndata: x\n\n");
}

TEST(SseEncoderTest, CarriageReturnInDataIsALineBreak) {
  EXPECT_EQ(encode(event("a\rb")), "data: a\ndata: b\n\n");
  EXPECT_EQ(encode(event("a\r\nb")), "data: a\ndata: b\n\n");
  EXPECT_EQ(encode(event("a\r\rb\r")), "data: a\ndata:\ndata: b\ndata:\n\n");
  EXPECT_EQ(encode(event("a\n\rb")), "data: a\ndata:\ndata: b\n\n");
}

TEST(SseEncoderTest, UnsafeIdIsNotWritten) {
  EXPECT_EQ(encode(eventWithId("1\n", "x")), "data: x\n\n");
  EXPECT_EQ(encode(eventWithId("1\r2", "x")), "data: x\n\n");
  EXPECT_EQ(encode(eventWithId("1\0"s, "x")), "data: x\n\n");
}

TEST(SseEncoderTest, UnsafeTypeIsNotWritten) {
  EXPECT_EQ(encode(event("x", "a\nretry: 1")), "data: x\n\n");
  EXPECT_EQ(encode(event("x", "a\r")), "data: x\n\n");
}

TEST(SseEncoderTest, InjectionAttemptsStayInsideData) {
  const SseEvent evil = event("x\n\nid: 666\nevent: admin\r\rdata: y");
  const Collector got = parse({encode(evil)});
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_FALSE(got.events[0].has_id);
  EXPECT_EQ(got.events[0].type, "");
  EXPECT_EQ(got.events[0].data, "x\n\nid: 666\nevent: admin\n\ndata: y");
}

TEST(SseEncoderTest, AppendsWithoutClearing) {
  std::string out = "prefix\n";
  appendEvent(event("a"), &out);
  appendRetry(5, &out);
  appendComment("c", &out);
  appendKeepalive(&out);
  EXPECT_EQ(out, "prefix\ndata: a\n\nretry: 5\n: c\n: keepalive\n");
}

TEST(SseEncoderTest, Retry) {
  std::string out;
  appendRetry(3000, &out);
  EXPECT_EQ(out, "retry: 3000\n");
  out.clear();
  appendRetry(0, &out);
  EXPECT_EQ(out, "retry: 0\n");
  out.clear();
  appendRetry(std::numeric_limits<uint64_t>::max(), &out);
  EXPECT_EQ(out, "retry: 18446744073709551615\n");
  EXPECT_EQ(parse({out}).retries, (std::vector<uint64_t>{std::numeric_limits<uint64_t>::max()}));
}

TEST(SseEncoderTest, Comment) {
  std::string out;
  appendComment("hello", &out);
  EXPECT_EQ(out, ": hello\n");
  out.clear();
  appendComment("", &out);
  EXPECT_EQ(out, ":\n");
  out.clear();
  appendComment("a\r\nb\nc\rd", &out);
  EXPECT_EQ(out, ": a  b c d\n");
  out.clear();
  appendComment(" lead", &out);
  EXPECT_EQ(out, ":  lead\n");
  const Collector got = parse({out});
  EXPECT_EQ(got.comments, (std::vector<std::string>{" lead"}));
  EXPECT_TRUE(got.events.empty());
}

TEST(SseEncoderTest, Keepalive) {
  std::string out;
  appendKeepalive(&out);
  EXPECT_EQ(out, kKeepaliveComment);
  const Collector got = parse({out});
  EXPECT_EQ(got.comments, (std::vector<std::string>{"keepalive"}));
  EXPECT_TRUE(got.events.empty());
}

TEST(SseEncoderTest, LineUnitsBetweenEventsChangeNoEvent) {
  const std::vector<SseEvent> events = {eventWithId("1", "a", "t"), event("b"),
                                        eventWithId("", "")};
  std::string wire;
  appendRetry(1000, &wire);
  appendComment("start", &wire);
  for (const SseEvent& e : events) {
    appendEvent(e, &wire);
    appendKeepalive(&wire);
    appendRetry(7, &wire);
    appendComment("between", &wire);
  }
  const Collector got = parse({wire});
  EXPECT_EQ(got.events, events);
  EXPECT_EQ(got.retries, (std::vector<uint64_t>{1000, 7, 7, 7}));
  EXPECT_EQ(got.comments.size(), 7u);
}

// ---- Round trip --------------------------------------------------------------------------------

TEST(SseEncoderTest, RoundTripTrickyEvents) {
  const std::vector<SseEvent> tricky = {
      event(""),
      event("\n"),
      event("\n\n"),
      event("a\n"),
      event("\na"),
      event("multi\nline\ndata"),
      event(" leading space"),
      event("  two\n   three\n "),
      event("a\n\n\nb"),
      event(":not a comment\n: neither"),
      event("data: nested\nid: 5"),
      event("trailing space \n\t tab"),
      event("nul \0 inside"s),
      event("h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x98\x80 \xE2\x82\xAC"),
      event("\xEF\xBB\xBF"
            "bom at start of data"),
      event("invalid utf8 \xFF\xFE \xC3"),
      event("x", "message"),
      event("x", " spaced type"),
      event("x", "type:with:colons"),
      event("x", "\xC3\xA9v\xC3\xA9nement"),
      eventWithId("", ""),
      eventWithId("", "empty id"),
      eventWithId(" ", "space id"),
      eventWithId("42", "numeric id"),
      eventWithId("a:b c", "id with colon", "t"),
      eventWithId("\xE2\x9C\x93", "unicode id", "\xE2\x9C\x93"),
      eventWithId("long" + std::string(300, '-'), std::string(5000, 'z'), std::string(200, 'y')),
  };
  for (const SseEvent& e : tricky) {
    SCOPED_TRACE("data: " + e.data);
    expectRoundTrip({e});
  }
  expectRoundTrip(tricky);
}

TEST(SseEncoderTest, RoundTripKeepsLastEventIdSemantics) {
  std::string wire;
  appendEvent(eventWithId("1", "a"), &wire);
  appendEvent(event("b"), &wire);
  SseParser parser;
  Collector collector;
  parser.feed(wire, collector);
  EXPECT_EQ(parser.lastEventId(), "1");
  ASSERT_EQ(collector.events.size(), 2u);
  EXPECT_FALSE(collector.events[1].has_id);
}

TEST(SseEncoderTest, RoundTripRandomEvents) {
  // Values are drawn from the bytes that matter to the grammar, plus multi-byte UTF-8. Data gets
  // LF (the parser never yields CR in data); id and type get neither (nor NUL in ids).
  const std::vector<std::string> pieces = {
      "a",   " ",           ":", "\n", "\t", "data", "id", "\xC3\xA9", "\xF0\x9F\x8E\x89",
      "\0"s, "\xEF\xBB\xBF"};
  std::mt19937 rng(12345);
  auto randomValue = [&](size_t max_pieces, bool allow_lf, bool allow_nul) {
    std::string value;
    const size_t n = std::uniform_int_distribution<size_t>(0, max_pieces)(rng);
    while (value.size() < n) {
      const std::string& piece = pieces[rng() % pieces.size()];
      if (!allow_lf && piece == "\n") continue;
      if (!allow_nul && piece == "\0"s) continue;
      value += piece;
    }
    return value;
  };
  std::vector<SseEvent> all;
  for (int i = 0; i < 300; ++i) {
    SseEvent e;
    e.data = randomValue(12, true, true);
    e.type = randomValue(4, false, true);
    e.has_id = rng() % 2 == 0;
    if (e.has_id) e.id = randomValue(4, false, false);
    SCOPED_TRACE("event " + std::to_string(i));
    expectRoundTrip({e});
    all.push_back(std::move(e));
  }
  std::string wire;
  for (const SseEvent& e : all) appendEvent(e, &wire);
  EXPECT_EQ(parse({wire}).events, all);
}

TEST(SseEncoderTest, ReencodingParsedEventsIsStable) {
  // Canonical form is a fixed point: parse(origin) -> encode -> parse -> encode gives the same
  // bytes the second time.
  const std::string origin =
      "\xEF\xBB\xBFid:7\r\nevent:e\r\ndata:a\r\ndata\r\n\r\ndata:  b\rid\r\r:c\ndata:x\n\n";
  const Collector first = parse({origin});
  std::string once;
  for (const SseEvent& e : first.events) appendEvent(e, &once);
  const Collector second = parse({once});
  EXPECT_EQ(second.events, first.events);
  std::string twice;
  for (const SseEvent& e : second.events) appendEvent(e, &twice);
  EXPECT_EQ(twice, once);
  EXPECT_EQ(once, "id: 7\nevent: e\ndata: a\ndata:\n\nid:\ndata:  b\n\ndata: x\n\n");
}

}  // namespace
}  // namespace ssegate::channel
