// Unit tests for SseParser: one test per rule of the HTML "event stream interpretation" and per
// ssegate addition (size limit, reset). Every input is also parsed byte by byte and split into
// two and three reads at every point, which must not change the outcome.
#include "channel/sse_parser.h"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace ssegate::channel {
namespace {

using namespace std::literals;  // NOLINT: "...\0..."sv and s keep embedded NULs.

// Escapes bytes so that CR, LF, NUL and non-ASCII are visible in failure messages.
std::string escape(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string describe(const SseEvent& e) {
  return "event id=" + (e.has_id ? escape(e.id) : std::string("-")) + " type=" + escape(e.type) +
         " data=" + escape(e.data);
}

class RecordingHandler : public SseParser::Handler {
 public:
  void onEvent(SseEvent&& event) override {
    log.push_back(describe(event));
    events.push_back(std::move(event));
  }
  void onRetry(uint64_t millis) override { log.push_back("retry " + std::to_string(millis)); }
  void onComment(std::string_view text) override { log.push_back("comment " + escape(text)); }
  void onOversizedEvent() override { log.push_back("oversized"); }

  std::vector<std::string> log;
  std::vector<SseEvent> events;
};

// Everything observable after parsing a stream.
struct Outcome {
  std::vector<std::string> log;
  std::string last_event_id;
  bool operator==(const Outcome& other) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{";
  for (const std::string& line : o.log) os << "\n  " << line;
  return os << "\n  lastEventId=" << escape(o.last_event_id) << "\n}";
}

Outcome parseChunks(const std::vector<std::string_view>& chunks,
                    size_t max_event_bytes = SseParser::kDefaultMaxEventBytes) {
  SseParser parser(max_event_bytes);
  RecordingHandler handler;
  for (std::string_view chunk : chunks) {
    parser.feed(chunk, handler);
    EXPECT_LE(parser.bufferedBytes(), max_event_bytes);
  }
  return Outcome{handler.log, parser.lastEventId()};
}

Outcome parseWhole(std::string_view input,
                   size_t max_event_bytes = SseParser::kDefaultMaxEventBytes) {
  return parseChunks({input}, max_event_bytes);
}

// Parses `input` whole, one byte per read, split into two reads at every point, and (for short
// inputs) into three reads at every pair of points, with empty reads mixed in. Expects the same
// outcome every time and returns it.
Outcome parseEverySplit(std::string_view input,
                        size_t max_event_bytes = SseParser::kDefaultMaxEventBytes) {
  const Outcome whole = parseWhole(input, max_event_bytes);
  {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    EXPECT_EQ(parseChunks(bytes, max_event_bytes), whole) << "byte at a time: " << escape(input);
  }
  for (size_t i = 0; i <= input.size(); ++i) {
    const Outcome split =
        parseChunks({input.substr(0, i), std::string_view(), input.substr(i)}, max_event_bytes);
    if (split != whole) {
      ADD_FAILURE() << "split at " << i << " of " << escape(input) << "\n got " << split
                    << "\n want " << whole;
      return whole;
    }
  }
  constexpr size_t kThreeWayMaxLength = 96;
  if (input.size() <= kThreeWayMaxLength) {
    for (size_t i = 0; i <= input.size(); ++i) {
      for (size_t j = i; j <= input.size(); ++j) {
        const Outcome split = parseChunks(
            {input.substr(0, i), input.substr(i, j - i), input.substr(j)}, max_event_bytes);
        if (split != whole) {
          ADD_FAILURE() << "split at " << i << "," << j << " of " << escape(input) << "\n got "
                        << split << "\n want " << whole;
          return whole;
        }
      }
    }
  }
  return whole;
}

Outcome expected(std::vector<std::string> log, std::string last_event_id = "") {
  return Outcome{std::move(log), std::move(last_event_id)};
}

// ---- Dispatch and data -----------------------------------------------------------------------

TEST(SseParserTest, SimpleEvent) {
  EXPECT_EQ(parseEverySplit("data: hello\n\n"), expected({R"(event id=- type="" data="hello")"}));
}

TEST(SseParserTest, MultipleDataLinesJoinedWithNewline) {
  EXPECT_EQ(parseEverySplit("data: a\ndata: b\ndata: c\n\n"),
            expected({R"(event id=- type="" data="a\nb\nc")"}));
}

TEST(SseParserTest, SeveralEventsInOneStream) {
  EXPECT_EQ(parseEverySplit("data: 1\n\ndata: 2\n\n\n\ndata: 3\n\n"),
            expected({R"(event id=- type="" data="1")", R"(event id=- type="" data="2")",
                      R"(event id=- type="" data="3")"}));
}

TEST(SseParserTest, BlankLineWithoutDataDispatchesNothing) {
  EXPECT_EQ(parseEverySplit("\n\n\r\n\r\r"), expected({}));
  EXPECT_EQ(parseEverySplit("event: x\n\n"), expected({}));
}

TEST(SseParserTest, EmptyDataLineDispatchesEventWithEmptyData) {
  EXPECT_EQ(parseEverySplit("data:\n\n"), expected({R"(event id=- type="" data="")"}));
  EXPECT_EQ(parseEverySplit("data: \n\n"), expected({R"(event id=- type="" data="")"}));
}

TEST(SseParserTest, FieldWithoutColonHasEmptyValue) {
  EXPECT_EQ(parseEverySplit("data\n\n"), expected({R"(event id=- type="" data="")"}));
  EXPECT_EQ(parseEverySplit("data\ndata\n\n"), expected({R"(event id=- type="" data="\n")"}));
  EXPECT_EQ(parseEverySplit("data: a\ndata\ndata: b\n\n"),
            expected({R"(event id=- type="" data="a\n\nb")"}));
}

TEST(SseParserTest, OnlyOneLeadingSpaceIsStripped) {
  EXPECT_EQ(parseEverySplit("data:  two spaces\n\n"),
            expected({R"(event id=- type="" data=" two spaces")"}));
  EXPECT_EQ(parseEverySplit("data:no space\n\n"),
            expected({R"(event id=- type="" data="no space")"}));
  EXPECT_EQ(parseEverySplit("data:\ttab\n\n"), expected({R"(event id=- type="" data="\x09tab")"}));
  EXPECT_EQ(parseEverySplit("data: trailing  \n\n"),
            expected({R"(event id=- type="" data="trailing  ")"}));
}

TEST(SseParserTest, ValueKeepsLaterColons) {
  EXPECT_EQ(parseEverySplit("data: a:b: c:\n\n"),
            expected({R"(event id=- type="" data="a:b: c:")"}));
  EXPECT_EQ(parseEverySplit("data::x\n\n"), expected({R"(event id=- type="" data=":x")"}));
}

TEST(SseParserTest, DataKeepsNulAndNonAsciiBytes) {
  EXPECT_EQ(parseEverySplit("data: a\0b \xC3\xA9 \xF0\x9F\x98\x80 \xFF\n\n"sv),
            expected({R"(event id=- type="" data="a\x00b \xC3\xA9 \xF0\x9F\x98\x80 \xFF")"}));
}

TEST(SseParserTest, IncompleteEventAtEndIsNotDispatched) {
  EXPECT_EQ(parseEverySplit("data: a\n\ndata: b\n"), expected({R"(event id=- type="" data="a")"}));
  EXPECT_EQ(parseEverySplit("data: a\n\ndata: b"), expected({R"(event id=- type="" data="a")"}));
}

// ---- Line ends ---------------------------------------------------------------------------------

TEST(SseParserTest, AllLineEndsAreEquivalent) {
  const Outcome want =
      expected({R"(event id=- type="" data="a\nb")", R"(event id=- type="" data="c")"});
  EXPECT_EQ(parseEverySplit("data: a\ndata: b\n\ndata: c\n\n"), want);
  EXPECT_EQ(parseEverySplit("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), want);
  EXPECT_EQ(parseEverySplit("data: a\rdata: b\r\rdata: c\r\r"), want);
  EXPECT_EQ(parseEverySplit("data: a\rdata: b\r\n\ndata: c\n\r\n"), want);
}

TEST(SseParserTest, CrLfIsOneLineEndEvenAcrossReads) {
  // Two-read split exactly between CR and LF: one line end, so no early dispatch.
  EXPECT_EQ(parseChunks({"data: a\r", "\ndata: b\r\n\r\n"}),
            expected({R"(event id=- type="" data="a\nb")"}));
  // Empty reads between the CR and the LF do not forget the CR.
  EXPECT_EQ(parseChunks({"data: a\r", "", "", "\ndata: b\r", "\n\r", "\n"}),
            expected({R"(event id=- type="" data="a\nb")"}));
}

TEST(SseParserTest, CrCrIsTwoLineEndsEvenAcrossReads) {
  EXPECT_EQ(parseChunks({"data: a\r", "\r"}), expected({R"(event id=- type="" data="a")"}));
  EXPECT_EQ(parseChunks({"data: a\r", "\n", "\r", "\n"}),
            expected({R"(event id=- type="" data="a")"}));
}

TEST(SseParserTest, LfCrIsTwoLineEnds) {
  EXPECT_EQ(parseEverySplit("data: a\n\r"), expected({R"(event id=- type="" data="a")"}));
}

TEST(SseParserTest, CrLfCrLfAfterLoneCr) {
  // CR, then CRLF: two line ends, dispatch; the LF is not a third one.
  EXPECT_EQ(parseEverySplit("data: a\r\r\ndata: b\n\n"),
            expected({R"(event id=- type="" data="a")", R"(event id=- type="" data="b")"}));
}

// ---- Comments ----------------------------------------------------------------------------------

TEST(SseParserTest, CommentsAreReportedAndIgnored) {
  EXPECT_EQ(
      parseEverySplit(": hello\n:\n:  two\n::x\n"),
      expected({R"(comment "hello")", R"(comment "")", R"(comment " two")", R"(comment ":x")"}));
}

TEST(SseParserTest, CommentInsideEventDoesNotDispatch) {
  EXPECT_EQ(parseEverySplit("data: a\n: keepalive\ndata: b\n\n"),
            expected({R"(comment "keepalive")", R"(event id=- type="" data="a\nb")"}));
}

// ---- event field -------------------------------------------------------------------------------

TEST(SseParserTest, EventFieldSetsType) {
  EXPECT_EQ(parseEverySplit("event: update\ndata: x\n\n"),
            expected({R"(event id=- type="update" data="x")"}));
}

TEST(SseParserTest, LastEventFieldWinsAndTypeResetsAfterDispatch) {
  EXPECT_EQ(parseEverySplit("event: a\nevent: b\ndata: x\n\ndata: y\n\n"),
            expected({R"(event id=- type="b" data="x")", R"(event id=- type="" data="y")"}));
}

TEST(SseParserTest, TypeOfBlockWithoutDataDoesNotLeak) {
  EXPECT_EQ(parseEverySplit("event: lost\n\ndata: y\n\n"),
            expected({R"(event id=- type="" data="y")"}));
}

TEST(SseParserTest, EmptyEventFieldMeansMessage) {
  EXPECT_EQ(parseEverySplit("event: a\nevent\ndata: x\n\n"),
            expected({R"(event id=- type="" data="x")"}));
  EXPECT_EQ(parseEverySplit("event:  spaced\ndata: x\n\n"),
            expected({R"(event id=- type=" spaced" data="x")"}));
}

// ---- id field ----------------------------------------------------------------------------------

TEST(SseParserTest, IdFieldSetsEventIdAndLastEventId) {
  EXPECT_EQ(parseEverySplit("id: 42\ndata: x\n\n"),
            expected({R"(event id="42" type="" data="x")"}, "42"));
}

TEST(SseParserTest, IdAppliesOnlyToItsBlockButLastEventIdPersists) {
  EXPECT_EQ(parseEverySplit("id: 1\ndata: x\n\ndata: y\n\n"),
            expected({R"(event id="1" type="" data="x")", R"(event id=- type="" data="y")"}, "1"));
}

TEST(SseParserTest, IdWithoutDataUpdatesLastEventIdOnly) {
  EXPECT_EQ(parseEverySplit("id: 7\n\ndata: y\n\n"),
            expected({R"(event id=- type="" data="y")"}, "7"));
}

TEST(SseParserTest, IdMayFollowData) {
  EXPECT_EQ(parseEverySplit("data: x\nid: 9\n\n"),
            expected({R"(event id="9" type="" data="x")"}, "9"));
}

TEST(SseParserTest, LastIdInBlockWins) {
  EXPECT_EQ(parseEverySplit("id: 1\nid: 2\ndata: x\n\n"),
            expected({R"(event id="2" type="" data="x")"}, "2"));
}

TEST(SseParserTest, EmptyIdResetsLastEventId) {
  EXPECT_EQ(parseEverySplit("id: 1\ndata: x\n\nid\ndata: y\n\n"),
            expected({R"(event id="1" type="" data="x")", R"(event id="" type="" data="y")"}, ""));
  EXPECT_EQ(parseEverySplit("id: 1\n\nid:\n\n"), expected({}, ""));
}

TEST(SseParserTest, IdWithNulIsIgnoredEntirely) {
  EXPECT_EQ(parseEverySplit("id: 1\n\nid: a\0b\ndata: x\n\n"sv),
            expected({R"(event id=- type="" data="x")"}, "1"));
  // An earlier valid id in the same block stays.
  EXPECT_EQ(parseEverySplit("id: 5\nid: \0\ndata: x\n\n"sv),
            expected({R"(event id="5" type="" data="x")"}, "5"));
}

TEST(SseParserTest, IdKeepsSpacesAndColons) {
  EXPECT_EQ(parseEverySplit("id:  a:b \ndata: x\n\n"),
            expected({R"(event id=" a:b " type="" data="x")"}, " a:b "));
}

// ---- retry field -------------------------------------------------------------------------------

TEST(SseParserTest, RetryWithDigitsIsReported) {
  EXPECT_EQ(parseEverySplit("retry: 1500\n"), expected({"retry 1500"}));
  EXPECT_EQ(parseEverySplit("retry:0\n"), expected({"retry 0"}));
  EXPECT_EQ(parseEverySplit("retry: 007\n"), expected({"retry 7"}));
}

TEST(SseParserTest, RetryWithAnythingButDigitsIsIgnored) {
  EXPECT_EQ(parseEverySplit("retry: 12a\nretry:\nretry\nretry: \nretry: -5\nretry: +5\n"
                            "retry: 1.5\nretry:  15\nretry: 15 \nretry: \xD9\xA1\n"),
            expected({}));
}

TEST(SseParserTest, RetryOverflowSaturates) {
  EXPECT_EQ(parseEverySplit("retry: 18446744073709551615\n"),
            expected({"retry 18446744073709551615"}));
  EXPECT_EQ(parseEverySplit("retry: 18446744073709551616\nretry: 99999999999999999999999\n"),
            expected({"retry 18446744073709551615", "retry 18446744073709551615"}));
}

TEST(SseParserTest, RetryDoesNotAffectTheEvent) {
  EXPECT_EQ(parseEverySplit("data: a\nretry: 10\ndata: b\n\n"),
            expected({"retry 10", R"(event id=- type="" data="a\nb")"}));
}

// ---- Other fields ------------------------------------------------------------------------------

TEST(SseParserTest, UnknownFieldsAreIgnored) {
  EXPECT_EQ(parseEverySplit("foo: bar\ndata: x\nbaz\n\n"),
            expected({R"(event id=- type="" data="x")"}));
}

TEST(SseParserTest, FieldNamesAreCaseSensitiveAndExact) {
  EXPECT_EQ(parseEverySplit("Data: x\nDATA: x\ndata : x\n data: x\ndatax: y\nID: 1\n"
                            "Event: e\nRetry: 5\n\n"),
            expected({}));
}

// ---- BOM ---------------------------------------------------------------------------------------

TEST(SseParserTest, BomAtStartIsSkipped) {
  EXPECT_EQ(parseEverySplit("\xEF\xBB\xBF"
                            "data: x\n\n"),
            expected({R"(event id=- type="" data="x")"}));
  EXPECT_EQ(parseChunks({"\xEF", "\xBB", "\xBF", "data: x\n\n"}),
            expected({R"(event id=- type="" data="x")"}));
}

TEST(SseParserTest, OnlyOneBomIsSkipped) {
  // The second BOM becomes part of the field name "\xEF\xBB\xBF" "data", an unknown field.
  EXPECT_EQ(parseEverySplit("\xEF\xBB\xBF\xEF\xBB\xBF"
                            "data: x\n\ndata: y\n\n"),
            expected({R"(event id=- type="" data="y")"}));
}

TEST(SseParserTest, BomLaterInStreamIsContent) {
  EXPECT_EQ(parseEverySplit("data: a\n\n\xEF\xBB\xBF"
                            "data: b\n\n"),
            expected({R"(event id=- type="" data="a")"}));
  EXPECT_EQ(parseEverySplit("data: \xEF\xBB\xBFx\n\n"),
            expected({R"(event id=- type="" data="\xEF\xBB\xBFx")"}));
  EXPECT_EQ(parseEverySplit("\ndata:\xEF\xBB\xBF\n\n"),
            expected({R"(event id=- type="" data="\xEF\xBB\xBF")"}));
}

TEST(SseParserTest, PartialBomIsContent) {
  // The held bytes are not lost: they make the field name unknown.
  EXPECT_EQ(parseEverySplit("\xEF"
                            "data: x\n\ndata: y\n\n"),
            expected({R"(event id=- type="" data="y")"}));
  EXPECT_EQ(parseEverySplit("\xEF\xBB"
                            "data: x\n\ndata: y\n\n"),
            expected({R"(event id=- type="" data="y")"}));
  EXPECT_EQ(parseEverySplit("\xEF\xBB:c\n"), expected({}));
  EXPECT_EQ(parseEverySplit(":\xEF\xBB\n"), expected({R"(comment "\xEF\xBB")"}));
  // A line end right after a partial BOM still ends the (non-empty) line.
  EXPECT_EQ(parseEverySplit("\xEF\xBB\ndata: x\n\n"), expected({R"(event id=- type="" data="x")"}));
}

// ---- reset and clearLastEventId ----------------------------------------------------------------

TEST(SseParserTest, ResetDiscardsUnfinishedEventAndItsId) {
  SseParser parser;
  RecordingHandler handler;
  parser.feed("id: 3\ndata: a\n\nid: 4\nevent: t\ndata: partial\nda", handler);
  EXPECT_EQ(parser.lastEventId(), "4");  // the buffer, mid-event
  EXPECT_EQ(parser.resumeId(), "3");     // what an EventSource would resume from
  parser.reset();
  // The cut-off event never happened: resuming from "4" would lose it for good.
  EXPECT_EQ(parser.lastEventId(), "3");
  EXPECT_EQ(parser.resumeId(), "3");
  EXPECT_EQ(parser.bufferedBytes(), 0u);
  parser.feed("ta: b\n\n", handler);  // "ta: b" is an unknown field on the new stream.
  parser.feed("data: c\n\n", handler);
  EXPECT_EQ(handler.log, (std::vector<std::string>{R"(event id="3" type="" data="a")",
                                                   R"(event id=- type="" data="c")"}));
  EXPECT_EQ(parser.resumeId(), "3");
}

TEST(SseParserTest, ResumeIdMovesAtEveryDispatchStepEvenWithoutData) {
  SseParser parser;
  RecordingHandler handler;
  parser.feed("id: 7\n\n", handler);  // no data: nothing dispatched, but the id counts
  EXPECT_TRUE(handler.log.empty());
  EXPECT_EQ(parser.resumeId(), "7");
  parser.feed("id: 8\ndata: x\n", handler);  // not yet dispatched
  EXPECT_EQ(parser.resumeId(), "7");
  parser.feed("\n", handler);
  EXPECT_EQ(parser.resumeId(), "8");
  parser.setResumeId("42");
  EXPECT_EQ(parser.lastEventId(), "42");
  parser.feed("data: y\n\n", handler);
  EXPECT_EQ(parser.resumeId(), "42");
}

TEST(SseParserTest, ResetReArmsBomSkipping) {
  SseParser parser;
  RecordingHandler handler;
  parser.feed(
      "\xEF\xBB\xBF"
      "data: a\n\n",
      handler);
  parser.reset();
  parser.feed("\xEF\xBB", handler);
  parser.feed(
      "\xBF"
      "data: b\n\n",
      handler);
  parser.reset();
  parser.feed("\xEF", handler);  // A partial BOM at the end of a connection is forgotten.
  parser.reset();
  parser.feed("data: c\n\n", handler);
  EXPECT_EQ(handler.log, (std::vector<std::string>{R"(event id=- type="" data="a")",
                                                   R"(event id=- type="" data="b")",
                                                   R"(event id=- type="" data="c")"}));
}

TEST(SseParserTest, ResetEndsOversizedEventSkipping) {
  SseParser parser(8);
  RecordingHandler handler;
  parser.feed("data: 0123456789", handler);
  parser.reset();
  parser.feed("data: b\n\n", handler);
  EXPECT_EQ(handler.log, (std::vector<std::string>{"oversized", R"(event id=- type="" data="b")"}));
}

TEST(SseParserTest, ClearLastEventId) {
  SseParser parser;
  RecordingHandler handler;
  parser.feed("id: 1\n\n", handler);
  EXPECT_EQ(parser.lastEventId(), "1");
  parser.clearLastEventId();
  EXPECT_EQ(parser.lastEventId(), "");
  parser.feed("id: 2\ndata: x\n", handler);
  parser.clearLastEventId();  // Mid-block: the block's id is forgotten too.
  parser.feed("\n", handler);
  EXPECT_EQ(handler.log, (std::vector<std::string>{R"(event id=- type="" data="x")"}));
  EXPECT_EQ(parser.lastEventId(), "");
}

// ---- Size limit --------------------------------------------------------------------------------

TEST(SseParserTest, EventAtTheLimitIsDeliveredAndOneByteMoreIsDropped) {
  // "data: abc" is 9 bytes while it is the current line; then the data buffer holds "abc\n".
  EXPECT_EQ(parseEverySplit("data: abc\n\n", 9), expected({R"(event id=- type="" data="abc")"}));
  EXPECT_EQ(parseEverySplit("data: abc\n\n", 8), expected({"oversized"}));
  // Second line: data buffer "abc\n" (4) + "data: de" (8) = 12.
  EXPECT_EQ(parseEverySplit("data: abc\ndata: de\n\n", 12),
            expected({R"(event id=- type="" data="abc\nde")"}));
  EXPECT_EQ(parseEverySplit("data: abc\ndata: de\n\n", 11), expected({"oversized"}));
  // id and type count too: id "12" (2) + type "t" (1) + "data: x" (7) = 10. With 9, the line
  // "event: t" (8) no longer fits after the id (2); the id was already taken.
  EXPECT_EQ(parseEverySplit("id: 12\nevent: t\ndata: x\n\n", 10),
            expected({R"(event id="12" type="t" data="x")"}, "12"));
  EXPECT_EQ(parseEverySplit("id: 12\nevent: t\ndata: x\n\n", 9), expected({"oversized"}, "12"));
}

TEST(SseParserTest, HugeLineWithoutNewlineIsBoundedAndDropped) {
  constexpr size_t kMax = 64;
  SseParser parser(kMax);
  RecordingHandler handler;
  const std::string chunk(1000, 'x');
  parser.feed("id: 1\ndata: ", handler);
  for (int i = 0; i < 1000; ++i) {
    parser.feed(chunk, handler);
    ASSERT_LE(parser.bufferedBytes(), kMax);
  }
  EXPECT_EQ(handler.log, (std::vector<std::string>{"oversized"}));
  parser.feed("\nid: 2\nevent: e\ndata: in dropped event\nretry: 5\n: c\n\n", handler);
  parser.feed("data: next\n\n", handler);
  EXPECT_EQ(handler.log,
            (std::vector<std::string>{"oversized", R"(event id=- type="" data="next")"}));
  // The id seen before the drop point stays; those after it are ignored.
  EXPECT_EQ(parser.lastEventId(), "1");
}

TEST(SseParserTest, HugeLineEverySplit) {
  const std::string input = "data: " + std::string(40, 'x') + "\r\n\r\ndata: next\r\n\r\n";
  EXPECT_EQ(parseEverySplit(input, 16),
            expected({"oversized", R"(event id=- type="" data="next")"}));
}

TEST(SseParserTest, ManyDataLinesDropOnlyThatEvent) {
  std::string input = "data: before\n\n";
  for (int i = 0; i < 10; ++i) input += "data: abcdef\n";
  input += "\ndata: after\n\n";
  EXPECT_EQ(parseEverySplit(input, 32),
            expected({R"(event id=- type="" data="before")", "oversized",
                      R"(event id=- type="" data="after")"}));
}

TEST(SseParserTest, EachOversizedEventIsReportedOnce) {
  std::string big = "data: " + std::string(20, 'y') + "\ndata: more\n\n";
  EXPECT_EQ(parseEverySplit(big + big + "data: ok\n\n", 16),
            expected({"oversized", "oversized", R"(event id=- type="" data="ok")"}));
}

TEST(SseParserTest, OversizedFieldsOtherThanDataDropTheEvent) {
  EXPECT_EQ(parseEverySplit("event: " + std::string(30, 'e') + "\ndata: x\n\ndata: y\n\n", 16),
            expected({"oversized", R"(event id=- type="" data="y")"}));
  EXPECT_EQ(parseEverySplit("id: " + std::string(30, 'i') + "\ndata: x\n\nid: 2\ndata: y\n\n", 16),
            expected({"oversized", R"(event id="2" type="" data="y")"}, "2"));
}

TEST(SseParserTest, LongCommentIsTruncatedNotDropped) {
  // ": 0123456789" is 12 bytes; with 8 allowed the line is cut to ": 012345".
  EXPECT_EQ(parseEverySplit(": 0123456789\ndata: x\n\n", 8),
            expected({R"(comment "012345")", R"(event id=- type="" data="x")"}));
  // Inside an event the budget left is smaller: "data: ab" leaves "ab\n" (3), so 5 for the line.
  EXPECT_EQ(parseEverySplit("data: ab\n: 0123456789\n\n", 8),
            expected({R"(comment "012")", R"(event id=- type="" data="ab")"}));
  // Two "data" lines (4 bytes each) leave "\n\n" (2) of 5: ":xyz" is cut to ":xy".
  EXPECT_EQ(parseEverySplit("data\ndata\n:xyz\n\n", 5),
            expected({R"(comment "xy")", R"(event id=- type="" data="\n")"}));
}

TEST(SseParserTest, DropEndsOnlyAtBlankLine) {
  // The oversized line ends with CRLF split anywhere; the LF must not count as the blank line.
  EXPECT_EQ(parseEverySplit("data: 0123456789abcdef\r\ndata: z\r\n\r\ndata: w\r\n\r\n", 10),
            expected({"oversized", R"(event id=- type="" data="w")"}));
}

TEST(SseParserTest, ZeroLimitDropsEveryEvent) {
  EXPECT_EQ(parseEverySplit("data: a\n\n: c\n\ndata\n\n", 0),
            expected({"oversized", R"(comment "")", "oversized"}));
}

// ---- Whole streams -----------------------------------------------------------------------------

TEST(SseParserTest, KitchenSinkStream) {
  const std::string input =
      "\xEF\xBB\xBF: welcome\r\nretry: 2500\r\n\r\n"
      "id: 1\revent: add\rdata: {\"a\":1}\r\r"
      ":\n"
      "data:  lead\ndata\ndata: tail\nid: 2\n\n"
      "id: x\0y\nevent: e\nunknown: u\ndata: z\n\n"s;
  const Outcome want =
      expected({R"(comment "welcome")", "retry 2500", R"(event id="1" type="add" data="{\"a\":1}")",
                R"(comment "")", R"(event id="2" type="" data=" lead\n\ntail")",
                R"(event id=- type="e" data="z")"},
               "2");
  EXPECT_EQ(parseEverySplit(input), want);
  EXPECT_EQ(parseEverySplit(input, 40), want);
}

TEST(SseParserTest, HandlerWithOnlyRequiredCallbacks) {
  struct Minimal : SseParser::Handler {
    void onEvent(SseEvent&& event) override { events.push_back(std::move(event)); }
    void onRetry(uint64_t millis) override { retry = millis; }
    std::vector<SseEvent> events;
    uint64_t retry = 0;
  } handler;
  SseParser parser(8);
  parser.feed(": comment\nretry: 3\ndata: 0123456789\n\ndata: ok\n\n", handler);
  ASSERT_EQ(handler.events.size(), 1u);
  EXPECT_EQ(handler.events[0].data, "ok");
  EXPECT_EQ(handler.retry, 3u);
}

TEST(SseParserTest, EventStructIsMovedOut) {
  SseParser parser;
  RecordingHandler handler;
  parser.feed("id: 9\nevent: t\ndata: a\ndata: b\n\n", handler);
  ASSERT_EQ(handler.events.size(), 1u);
  EXPECT_EQ(handler.events[0], (SseEvent{"9", true, "t", "a\nb"}));
  EXPECT_EQ(parser.bufferedBytes(), 0u);
}

}  // namespace
}  // namespace ssegate::channel
