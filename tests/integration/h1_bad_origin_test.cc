// Misbehaving origins (issue 7, point 3): stalls, 5xx then recovery, wrong Content-Type, an HTML
// error page, a huge line without a newline, invalid UTF-8, NUL bytes, retry: 0 and a huge
// retry:, CR/LF inside an id, a disconnect mid-event, one byte at a time. In every case ssegate
// stays up, its subscribers keep their streams, and what they receive is a canonical event
// stream (checkCanonicalSseWire: every line a known field, a comment or blank, LF only) with
// exactly the meaning the origin's bytes have for an EventSource (the harness SseParser is the
// reference interpretation).
//
// HTTP/2 variants: the origin side is protocol-independent; a downstream h2 client that exposes
// events() and the DATA bytes can reuse expectSameMeaning() and checkCanonicalSseWire().

#include <cstdlib>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "harness/free_port.h"
#include "harness/sse_parser.h"
#include "harness/sse_wire_check.h"

namespace ssegate::integration {
namespace {

using namespace std::chrono_literals;

// The subscriber's bytes are a canonical event stream and it still has its connection.
::testing::AssertionResult streamIsHealthy(const SseClient& c) {
  if (c.closed()) return ::testing::AssertionFailure() << "stream closed: " << c.describe();
  if (c.response().state() == HttpResponseParser::State::kError) {
    return ::testing::AssertionFailure() << "broken HTTP framing: " << c.describe();
  }
  const std::string problem = checkCanonicalSseWire(c.body());
  if (!problem.empty()) {
    return ::testing::AssertionFailure() << "malformed or injected line downstream: " << problem
                                         << "\nbody: '" << escapeBytes(c.body(), 2000) << "'";
  }
  return ::testing::AssertionSuccess();
}

// The events `c` received after the first `skip` have the meaning `origin_bytes` has for an
// EventSource: same types and data, and the origin's own ids where it sent one (events without
// an id field get a gateway id, which is not compared).
::testing::AssertionResult expectSameMeaning(const std::string& origin_bytes, const SseClient& c,
                                             size_t skip = 0) {
  SseParser reference;
  reference.feed(origin_bytes);
  const auto& want = reference.events();
  const auto& got = c.events();
  if (got.size() < skip || got.size() - skip != want.size()) {
    return ::testing::AssertionFailure()
           << "got " << (got.size() - std::min(got.size(), skip)) << " events, the origin's "
           << "bytes mean " << want.size() << "; downstream ids " << joinIds(got)
           << "; origin bytes '" << escapeBytes(origin_bytes, 400) << "'";
  }
  for (size_t i = 0; i < want.size(); ++i) {
    const SseEvent& g = got[skip + i];
    const SseEvent& w = want[i];
    // An empty id field resets the last event id; the gateway may give that event its own id.
    const bool compare_id = w.has_id_field && !w.id.empty();
    if (g.type != w.type || g.data != w.data || (compare_id && g.id != w.id)) {
      return ::testing::AssertionFailure()
             << "event " << i << ": got id '" << escapeBytes(g.id) << "' type '" << g.type
             << "' data '" << escapeBytes(g.data) << "', the origin meant id '" << escapeBytes(w.id)
             << "' type '" << w.type << "' data '" << escapeBytes(w.data) << "'";
    }
  }
  return ::testing::AssertionSuccess();
}

// The value of an unlabelled Prometheus sample in `text`, or -1.
double metricValue(const std::string& text, const std::string& name) {
  std::smatch m;
  const std::regex re("(^|\n)" + name + " ([0-9.e+]+)");
  if (!std::regex_search(text, m, re)) return -1;
  return std::strtod(m[2].str().c_str(), nullptr);
}

// Every "reconnecting in N ms" delay the gateway logged.
std::vector<long> loggedReconnectDelays(const std::string& log) {
  std::vector<long> delays;
  const std::regex re("reconnecting in ([0-9]+) ms");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it) {
    delays.push_back(std::strtol((*it)[1].str().c_str(), nullptr, 10));
  }
  return delays;
}

class BadOriginTest : public GatewayTest {
 protected:
  // Starts the gateway (with `config`) and one subscriber of `channel` whose upstream is open.
  std::unique_ptr<SseClient> subscribe(const std::string& channel) {
    auto c = openStream("/events/" + channel);
    EXPECT_TRUE(isSseStream(*c, "none"));
    EXPECT_TRUE(origin_.waitOpenStreams("/stream/" + channel, 1, Millis(5000)))
        << "the upstream for " << channel << " never opened";
    return c;
  }
  // Writes `bytes` as one chunk and remembers them as part of the origin's stream.
  void send(const std::string& channel, const std::string& bytes) {
    origin_.publishRaw(channel, bytes);
    sent_ += bytes;
  }
  // A 200 with a body that is not text/event-stream is not a stream, whatever it contains: it is
  // retried and none of its bytes reach subscribers, even lines that look like SSE fields.
  void checkNonSseAnswerIgnored(const std::string& channel, const std::string& content_type,
                                const std::string& body) {
    const std::string path = "/stream/" + channel;
    origin_.setContentType(path, content_type);
    origin_.setScript(path, {body, true});
    auto c = openStream("/events/" + channel);
    ASSERT_TRUE(isSseStream(*c, "none"));
    ASSERT_TRUE(origin_.waitAcceptedCount(path, 3, Millis(5000)))
        << "a 200 " << content_type << " answer was not retried";
    c->pumpUntil([] { return false; }, 300ms);
    EXPECT_TRUE(c->events().empty())
        << "the " << content_type << " body became events: " << joinIds(c->events()) << " '"
        << (c->events().empty() ? "" : c->events()[0].data) << "'";
    EXPECT_EQ(c->body().find("injected"), std::string::npos)
        << "bytes of the " << content_type << " body reached the subscriber";
    origin_.setContentType(path, "");
    origin_.setScript(path, {});
    ASSERT_TRUE(origin_.waitOpenStreams(path, 1, Millis(5000)));
    origin_.publish(channel, "ok-1", "a real event");
    ASSERT_TRUE(c->waitEvents(1)) << c->describe();
    EXPECT_TRUE(hasIds(c->events(), {"ok-1"}));
    EXPECT_TRUE(streamIsHealthy(*c));
  }

 public:
  // For the helpers outside the fixture.
  std::unique_ptr<SseClient> openStreamPublic(const std::string& target) {
    return openStream(target);
  }

 protected:
  std::string sent_;
};

// Comments keep an idle upstream alive; a real stall (nothing for idle_timeout) makes the gateway
// reconnect with Last-Event-ID, and the subscriber notices nothing.
TEST_F(BadOriginTest, H1_BadOrigin_StallReconnects) {
  GatewayConfig config = defaultConfig();
  config.idle_timeout = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = subscribe("stall");
  send("stall", "id: st-1\ndata: one\n\n");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();
  for (int i = 0; i < 5; ++i) {  // 2 s of comments, 400 ms apart: never idle for 1 s
    send("stall", ": origin keepalive\n");
    c->pumpUntil([] { return false; }, 400ms);
  }
  EXPECT_EQ(origin_.acceptedCount("/stream/stall"), 1u) << "comments did not reset idle_timeout";
  const Clock::time_point stalled = Clock::now();
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/stall", 2, Millis(5000))) << "no reconnect";
  const auto after =
      std::chrono::duration_cast<Millis>(origin_.requests("/stream/stall")[1].at - stalled);
  std::cout << "[ observed ] reconnect " << after.count() << " ms into the stall" << std::endl;
  EXPECT_GE(after.count(), 500);
  EXPECT_LE(after.count(), 3500);
  EXPECT_EQ(origin_.requests("/stream/stall")[1].headers["last-event-id"], "st-1");
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/stall", 1, Millis(3000)));
  send("stall", "id: st-2\ndata: two\n\n");
  ASSERT_TRUE(c->waitEvents(2)) << c->describe();
  EXPECT_TRUE(expectSameMeaning(sent_, *c));
  EXPECT_TRUE(streamIsHealthy(*c));
}

// 500, then 502, then 200: retried with backoff (not a busy loop), the subscriber keeps its
// stream and never sees the error bodies, and events flow once the origin recovers.
TEST_F(BadOriginTest, H1_BadOrigin_5xxThenRecovery) {
  origin_.setStatus("/stream/five", 500);
  ASSERT_NO_FATAL_FAILURE(startGateway());  // reconnect 50ms .. 500ms
  auto c = openStream("/events/five");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/five", 2, Millis(5000)));
  origin_.setStatus("/stream/five", 502);
  const size_t at_502 = origin_.acceptedCount("/stream/five");
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/five", at_502 + 2, Millis(5000)));
  const size_t before = origin_.acceptedCount("/stream/five");
  c->pumpUntil([] { return false; }, 1500ms);
  const size_t in_window = origin_.acceptedCount("/stream/five") - before;
  std::cout << "[ observed ] " << in_window << " attempts in 1.5 s against a 502 origin"
            << std::endl;
  EXPECT_LE(in_window, 20u) << "reconnect is not backing off (initial 50ms, max 500ms)";
  EXPECT_GE(in_window, 2u) << "gave up retrying a 502";
  origin_.setStatus("/stream/five", 0);
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/five", 1, Millis(5000)));
  origin_.publish("five", "f-1", "recovered");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();
  EXPECT_TRUE(hasIds(c->events(), {"f-1"}));
  EXPECT_TRUE(streamIsHealthy(*c));
  EXPECT_EQ(c->body().find("Internal Server Error"), std::string::npos);
  EXPECT_EQ(c->body().find("Bad Gateway"), std::string::npos);
}

TEST_F(BadOriginTest, H1_BadOrigin_WrongContentType) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  checkNonSseAnswerIgnored("json", "application/json",
                           "{\"a\":1}\ndata: injected\n\nid: x\ndata: injected\n\n");
}

TEST_F(BadOriginTest, H1_BadOrigin_HtmlErrorPage) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  checkNonSseAnswerIgnored(
      "html", "text/html; charset=utf-8",
      "<!DOCTYPE html>\n<html><body>\n<h1>502 Bad Gateway</h1>\ndata: injected\n\n"
      "</body></html>\n\n");
}

// A line that grows past max_event_bytes without a newline: that event is dropped and counted,
// the upstream stays usable, the events after it are delivered.
TEST_F(BadOriginTest, H1_BadOrigin_HugeLineWithoutNewline) {
  GatewayConfig config = defaultConfig();
  config.max_event_bytes = "4KiB";
  config.admin_port = freePort();
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = subscribe("huge");
  send("huge", "id: h-1\ndata: before\n\n");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();
  origin_.publishRaw("huge", "id: h-2\ndata: ");
  const std::string block(16 * 1024, 'x');
  for (int i = 0; i < 32; ++i) origin_.publishRaw("huge", block);  // 512 KiB, no newline
  c->pumpUntil([] { return false; }, 300ms);
  EXPECT_EQ(c->events().size(), 1u) << "part of the oversized event was delivered";
  origin_.publishRaw("huge", "\n\n");
  send("huge", "id: h-3\ndata: after\n\n");
  ASSERT_TRUE(c->waitEvents(2, Millis(5000))) << c->describe();
  c->pumpUntil([] { return false; }, 200ms);
  EXPECT_TRUE(hasIds(c->events(), {"h-1", "h-3"}));
  EXPECT_TRUE(streamIsHealthy(*c));
  EXPECT_LT(c->bodyBytes(), 4096u) << "oversized bytes reached the subscriber";

  SseClient metrics(config.admin_port);
  metrics.get("/metrics");
  ASSERT_TRUE(metrics.pumpUntil(
      [&] {
        return metrics.response().state() == HttpResponseParser::State::kDone || metrics.closed();
      },
      Millis(5000)));
  const double oversized = metricValue(metrics.body(), "ssegate_oversized_events_total");
  EXPECT_GE(oversized, 1) << "ssegate_oversized_events_total not counted: "
                          << metrics.body().substr(0, 300);
  std::cout << "[ observed ] upstream connections: " << origin_.acceptedCount("/stream/huge")
            << ", ssegate_oversized_events_total " << oversized << std::endl;
}

// Bytes that are not valid UTF-8, and NUL bytes, in data: forwarded (byte-exact, or decoded
// with U+FFFD as an EventSource would) without ever breaking the framing. An id with a NUL is
// ignored by an EventSource, so it must never be forwarded as an id.
TEST_F(BadOriginTest, H1_BadOrigin_InvalidUtf8AndNulBytes) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = subscribe("bytes");
  const std::string bad_utf8 = "\xff\xfe \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 end";
  const std::string nul_data = std::string("a\0b", 3) + "\x01\x7f";
  send("bytes", "id: b-1\ndata: " + bad_utf8 + "\n\n");
  send("bytes", "id: b-2\ndata: " + nul_data + "\n\n");
  origin_.publishRaw("bytes", std::string("id: b\0x\ndata: nul in id\n\n", 25));
  send("bytes", "id: b-4\ndata: last\n\n");
  ASSERT_TRUE(c->waitEvents(4)) << c->describe();
  c->pumpUntil([] { return false; }, 200ms);
  EXPECT_TRUE(streamIsHealthy(*c));
  ASSERT_EQ(c->events().size(), 4u) << joinIds(c->events());
  const std::string& got = c->events()[0].data;
  const bool exact = got == bad_utf8;
  const bool replaced =
      got.find("\xef\xbf\xbd") != std::string::npos && got.find('\xff') == std::string::npos;
  EXPECT_TRUE(exact || replaced) << "invalid UTF-8 was neither kept nor replaced: '"
                                 << escapeBytes(got) << "'";
  std::cout << "[ observed ] invalid UTF-8 forwarded " << (exact ? "byte-exact" : "as U+FFFD")
            << std::endl;
  EXPECT_EQ(c->events()[1].data, nul_data) << escapeBytes(c->events()[1].data);
  EXPECT_EQ(c->events()[1].id, "b-2");
  EXPECT_EQ(c->events()[2].data, "nul in id");
  EXPECT_EQ(c->events()[2].id.find('\0'), std::string::npos);
  EXPECT_EQ(c->events()[3].id, "b-4");
  EXPECT_EQ(c->events()[3].data, "last");
}

// An origin that says retry: 0 and hangs up, again and again: the gateway keeps reconnecting,
// but with the 10 ms floor (jitter may halve it), not in a busy loop.
TEST_F(BadOriginTest, H1_BadOrigin_RetryZero) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  origin_.setScript("/stream/r0", {"retry: 0\n\n", true});
  auto c = openStream("/events/r0");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/r0", 3, Millis(5000)));
  const size_t before = origin_.acceptedCount("/stream/r0");
  c->pumpUntil([] { return false; }, 2000ms);
  const size_t attempts = origin_.acceptedCount("/stream/r0") - before;
  std::cout << "[ observed ] " << attempts << " reconnects in 2 s after retry: 0" << std::endl;
  EXPECT_GE(attempts, 3u) << "the gateway stopped reconnecting";
  EXPECT_LE(attempts, 400u) << "reconnect busy loop (floor 10 ms, jitter down to 5 ms)";
  for (long delay : loggedReconnectDelays(gateway_->log())) {
    EXPECT_GE(delay, 5) << "a reconnect delay under the 10 ms floor (even with jitter)";
  }
  origin_.setScript("/stream/r0", {});
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/r0", 1, Millis(5000)));
  origin_.publish("r0", "r0-1", "steady again");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();
  EXPECT_TRUE(streamIsHealthy(*c));
}

// A huge retry: is honoured (the origin asked for it) but bounded by one hour; meanwhile the
// subscriber keeps its stream with keepalives, and the gateway does not reconnect early.
// `value` is the retry: field as the origin writes it.
void expectHugeRetryBoundedByOneHour(BadOriginTest* t, FakeOrigin& origin, GatewayProcess& gateway,
                                     const std::string& channel, const std::string& value) {
  const std::string path = "/stream/" + channel;
  auto c = t->openStreamPublic("/events/" + channel);
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin.waitAcceptedCount(path, 1, Millis(5000)));
  const size_t comments = c->sse().comments().size();
  c->pumpUntil([] { return false; }, 1500ms);
  const auto delays = loggedReconnectDelays(gateway.log());
  std::cout << "[ observed ] retry: " << value << " -> " << origin.acceptedCount(path)
            << " connection(s) in 1.5 s, logged delay " << (delays.empty() ? -1 : delays.back())
            << " ms" << std::endl;
  EXPECT_EQ(origin.acceptedCount(path), 1u)
      << "retry: " << value << " was not honoured (bounded to 1 h): the gateway reconnected";
  EXPECT_GE(c->sse().comments().size(), comments + 2) << "no keepalives while waiting";
  ASSERT_FALSE(delays.empty()) << "no 'reconnecting in N ms' log line";
  EXPECT_LE(delays.back(), 3600 * 1000) << "parked for more than an hour";
  EXPECT_GE(delays.back(), 1800 * 1000)
      << "retry: " << value << " not honoured up to the 1 h bound (jitter >= 1/2)";
  EXPECT_TRUE(streamIsHealthy(*c));
}

TEST_F(BadOriginTest, H1_BadOrigin_RetryHuge) {
  GatewayConfig config = defaultConfig();
  config.keepalive_interval = "300ms";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  origin_.setScript("/stream/rh", {"retry: 86400000\n\n", true});  // one day
  expectHugeRetryBoundedByOneHour(this, origin_, *gateway_, "rh", "86400000");
}

// The same with a value beyond 64 bits: the SSE parser saturates it; it must still mean "a very
// long time" (bounded to 1 h), not "no retry: at all".
TEST_F(BadOriginTest, H1_BadOrigin_RetryBeyond64Bits) {
  GatewayConfig config = defaultConfig();
  config.keepalive_interval = "300ms";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  origin_.setScript("/stream/rx", {"retry: 99999999999999999999999\n\n", true});
  expectHugeRetryBoundedByOneHour(this, origin_, *gateway_, "rx", "99999999999999999999999");
}

// CR and LF end lines in SSE, so an id cannot carry them: "id: a\rdata: injected\n\n" MEANS an
// id "a" and a data line for an EventSource. Downstream must have the same meaning, written
// canonically (LF only), and no line the origin's stream did not mean.
TEST_F(BadOriginTest, H1_BadOrigin_CrLfInsideId) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = subscribe("crlf");
  send("crlf", "id: a\rdata: injected\n\n");
  send("crlf", "id: b\r\nevent: e\r\ndata: crlf\r\n\r\n");
  send("crlf", "id: c\rid: d\revent: e2\rdata: cr only\r\r");
  send("crlf", "id: e\nid: f\ndata: two ids\n\n");
  send("crlf", "data: x\r\n\r\rid: g\n\ndata: tail\n\n");  // an extra blank line, an empty event
  ASSERT_TRUE(c->waitEvents(5)) << c->describe();
  c->pumpUntil([] { return false; }, 300ms);
  EXPECT_TRUE(streamIsHealthy(*c));
  EXPECT_TRUE(expectSameMeaning(sent_, *c));
  for (const SseEvent& e : c->events()) {
    EXPECT_EQ(e.id.find_first_of("\r\n"), std::string::npos) << escapeBytes(e.id);
  }
}

// The origin disconnects in the middle of an event (between SSE lines, and in the middle of a
// chunk): the partial event is never delivered; the full event, which the origin publishes while
// the gateway cannot reconnect, is replayed by the origin after the reconnect and delivered.
// For that the gateway must resume after the last event it DISPATCHED (an EventSource's "last
// event ID string"), not after an id line of the unfinished event (the "last event ID buffer").
TEST_F(BadOriginTest, H1_BadOrigin_DisconnectMidEvent) {
  ASSERT_NO_FATAL_FAILURE(startGateway());  // reconnect 50ms .. 500ms
  auto c = subscribe("cut");
  origin_.publish("cut", "m-1", "complete");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();

  struct Cut {
    const char* what;
    std::string bytes;  // written unframed, then the connection is closed
    std::string id;     // the event that was cut, published in full afterwards
  };
  const Cut cuts[] = {
      {"between the lines of an event", "29\r\nid: m-2\nevent: partial\ndata: partial one\n\r\n",
       "m-2"},
      {"inside a chunk", "40\r\nid: m-3\ndata: cut inside a chunk", "m-3"},
  };
  std::string previous = "m-1";
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.what);
    const size_t accepted = origin_.acceptedCount("/stream/cut");
    origin_.setStatus("/stream/cut", 503);  // reconnects fail until the full event exists
    origin_.writeUnframed("cut", cut.bytes);
    origin_.closeStreams("cut");
    ASSERT_TRUE(origin_.waitAcceptedCount("/stream/cut", accepted + 1, Millis(5000)));
    origin_.publish("cut", cut.id, "full " + cut.id);  // into the history, not onto a stream
    origin_.setStatus("/stream/cut", 0);
    ASSERT_TRUE(origin_.waitOpenStreams("/stream/cut", 1, Millis(5000)));
    const auto requests = origin_.requests("/stream/cut");
    EXPECT_EQ(requests.back().headers.count("last-event-id")
                  ? requests.back().headers.at("last-event-id")
                  : "(none)",
              previous)
        << "the gateway resumed after the id of an event it never dispatched";
    previous = cut.id;
  }
  ASSERT_TRUE(c->waitEvents(3, Millis(5000))) << c->describe() << " ids " << joinIds(c->events());
  c->pumpUntil([] { return false; }, 300ms);
  EXPECT_TRUE(hasIds(c->events(), {"m-1", "m-2", "m-3"}));
  if (c->events().size() == 3) {
    EXPECT_EQ(c->events()[1].data, "full m-2");
    EXPECT_EQ(c->events()[1].type, "");
    EXPECT_EQ(c->events()[2].data, "full m-3");
  }
  EXPECT_EQ(c->body().find("partial"), std::string::npos);
  EXPECT_EQ(c->body().find("cut inside"), std::string::npos);
  EXPECT_TRUE(streamIsHealthy(*c));
}

// One byte per write, with small delays: (a) each byte its own chunk, (b) the chunk framing
// itself split byte by byte. Same events, same meaning, canonical framing.
TEST_F(BadOriginTest, H1_BadOrigin_OneByteAtATime) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = subscribe("drip");
  const std::string stream =
      ": hello\nid: d-1\nevent: tick\ndata: first line\ndata: second line\n\n"
      "id: d-2\r\ndata: crlf\r\n\r\nid: d-3\rdata: cr\r\rdata:no space\n\n";
  for (char byte : stream) {  // (a)
    origin_.publishRaw("drip", std::string(1, byte));
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(c->waitEvents(4)) << c->describe();
  char size[16];
  std::snprintf(size, sizeof(size), "%zx\r\n", stream.size());
  const std::string framed = size + stream + "\r\n";
  for (char byte : framed) {  // (b)
    origin_.writeUnframed("drip", std::string(1, byte));
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(c->waitEvents(8)) << c->describe();
  c->pumpUntil([] { return false; }, 200ms);
  EXPECT_TRUE(streamIsHealthy(*c));
  // The second copy repeats ids d-1..d-3: the gateway may drop repeats only after an upstream
  // reconnect, never on the same connection, so both copies must arrive.
  EXPECT_TRUE(expectSameMeaning(stream + stream, *c));
  EXPECT_EQ(origin_.acceptedCount("/stream/drip"), 1u) << "the dripped stream broke the upstream";
}

// Lines that mean nothing or something unusual to an EventSource (unknown fields, a field
// without a colon, a leading space, an empty data line, a comment between data lines): the
// subscriber gets the same meaning, canonically written, and nothing else.
TEST_F(BadOriginTest, H1_BadOrigin_OddFieldsKeepTheirMeaning) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = subscribe("odd");
  send("odd", "foo: bar\nid: o-1\ndata\ndata:\ndata:  two spaces\n: comment\ndata: end\n\n");
  send("odd", " data: leading space is an unknown field\nid: o-2\ndata: x\n\n");
  send("odd", "event\ndata: event line without colon\nid: o-3\n\n");
  send("odd", "retry: 12x\nretry: 7\nid: o-4\ndata: after retry\n\n");
  send("odd", "id\ndata: an id line without a colon clears the id\n\n");
  ASSERT_TRUE(c->waitEvents(5)) << c->describe();
  c->pumpUntil([] { return false; }, 300ms);
  EXPECT_TRUE(streamIsHealthy(*c));
  EXPECT_TRUE(expectSameMeaning(sent_, *c));
}

}  // namespace
}  // namespace ssegate::integration
