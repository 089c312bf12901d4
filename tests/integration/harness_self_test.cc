// The integration harness checked against itself, without the gateway: if these fail, an
// integration test failure says nothing about ssegate.

#include <gtest/gtest.h>

#include <string>

#include "harness/child_process.h"
#include "harness/client_fleet.h"
#include "harness/fake_origin.h"
#include "harness/free_port.h"
#include "harness/http_response_parser.h"
#include "harness/sse_client.h"
#include "harness/sse_parser.h"
#include "harness/temp_dir.h"

namespace ssegate::integration {
namespace {

TEST(Harness_SseParser, FieldsCommentsRetryAndLineEndings) {
  SseParser p;
  const std::string text =
      "\xEF\xBB\xBFretry: 1000\n: hello\r\nid: 1\nevent: tick\ndata: a\ndata: b\n\n"
      "data: no id line\r\rid\ndata: x\r\n\r\nbogus: 1\n";
  // Feed one byte at a time: the parser must not depend on read boundaries.
  for (char c : text) p.feed(std::string_view(&c, 1));
  ASSERT_EQ(p.events().size(), 3u);
  EXPECT_EQ(p.events()[0].id, "1");
  EXPECT_TRUE(p.events()[0].has_id_field);
  EXPECT_EQ(p.events()[0].type, "tick");
  EXPECT_EQ(p.events()[0].data, "a\nb");
  EXPECT_EQ(p.events()[1].id, "1");  // the last event id stays in force
  EXPECT_FALSE(p.events()[1].has_id_field);
  EXPECT_EQ(p.events()[1].type, "");
  EXPECT_EQ(p.events()[2].id, "");  // "id" with no value resets it
  ASSERT_EQ(p.retries().size(), 1u);
  EXPECT_EQ(p.retries()[0], 1000);
  ASSERT_EQ(p.comments().size(), 1u);
  EXPECT_EQ(p.comments()[0].text, " hello");
  ASSERT_EQ(p.unknownLines().size(), 1u);
}

TEST(Harness_HttpResponseParser, ChunkedByteByByte) {
  HttpResponseParser p;
  std::string body;
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\n\r\n";
  for (char c : text) p.feed(std::string_view(&c, 1), &body);
  EXPECT_EQ(p.state(), HttpResponseParser::State::kDone) << p.error();
  EXPECT_EQ(p.status(), 200);
  EXPECT_EQ(p.header("content-type"), "text/event-stream");
  EXPECT_TRUE(p.chunked());
  EXPECT_EQ(body, "hello0123456789");
}

TEST(Harness_HttpResponseParser, BadChunkIsAnError) {
  HttpResponseParser p;
  std::string body;
  p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &body);
  EXPECT_EQ(p.state(), HttpResponseParser::State::kError);
}

TEST(Harness_HttpResponseParser, ContentLengthAndCloseDelimited) {
  HttpResponseParser a;
  std::string body;
  a.feed("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope", &body);
  EXPECT_EQ(a.state(), HttpResponseParser::State::kDone);
  EXPECT_EQ(body, "nope");
  HttpResponseParser b;
  body.clear();
  b.feed("HTTP/1.0 200 OK\r\n\r\ndata: x\n\n", &body);
  EXPECT_TRUE(b.closeDelimited());
  b.onEof();
  EXPECT_EQ(b.state(), HttpResponseParser::State::kDone);
  EXPECT_EQ(body, "data: x\n\n");
}

TEST(Harness_FakeOrigin, StreamsReplaysRestartsAndCounts) {
  FakeOrigin origin;
  ASSERT_TRUE(origin.start());
  const uint16_t port = origin.port();
  SseClient a(port);
  a.get("/stream/a");
  ASSERT_TRUE(a.waitHead()) << a.describe();
  EXPECT_EQ(a.status(), 200);
  EXPECT_EQ(a.header("content-type"), "text/event-stream");
  EXPECT_TRUE(a.response().chunked());
  ASSERT_TRUE(origin.waitOpenCount("/stream/a", 1, Millis(2000)));
  origin.publish("a", "1", "one");
  origin.publish("a", "2", "two\nlines", "kind");
  origin.publish("b", "b1", "other channel");
  ASSERT_TRUE(a.waitEvents(2)) << a.describe();
  EXPECT_EQ(a.events()[1].id, "2");
  EXPECT_EQ(a.events()[1].type, "kind");
  EXPECT_EQ(a.events()[1].data, "two\nlines");

  SseClient b(port);
  b.get("/stream/a", {{"Last-Event-ID", "1"}});
  ASSERT_TRUE(b.waitEvents(1)) << b.describe();
  EXPECT_EQ(b.events()[0].id, "2");
  ASSERT_EQ(origin.requests("/stream/a").size(), 2u);
  EXPECT_EQ(origin.requests("/stream/a")[1].headers.at("last-event-id"), "1");

  origin.stop();
  ASSERT_TRUE(a.waitClosed()) << a.describe();
  EXPECT_TRUE(a.response().truncated());
  EXPECT_EQ(origin.openCount("/stream/a"), 0u);
  origin.publish("a", "3", "while down");
  ASSERT_TRUE(origin.start());
  EXPECT_EQ(origin.port(), port);
  SseClient c(port);
  c.get("/stream/a", {{"Last-Event-ID", "2"}});
  ASSERT_TRUE(c.waitEvents(1)) << c.describe();
  EXPECT_EQ(c.events()[0].data, "while down");
  EXPECT_EQ(origin.acceptedCount("/stream/a"), 3u);

  c.close();
  ASSERT_TRUE(origin.waitOpenCount("/stream/a", 0, Millis(2000)));
  EXPECT_TRUE(origin.lastPeerCloseAt("/stream/a").has_value());
}

TEST(Harness_FakeOrigin, ScriptedStatusAndCloseDelimited) {
  FakeOrigin origin(FakeOrigin::Options{.chunked = false});
  ASSERT_TRUE(origin.start());
  origin.setStatus("/stream/gone", 404);
  SseClient gone(origin.port());
  gone.get("/stream/gone");
  ASSERT_TRUE(gone.waitClosed()) << gone.describe();
  EXPECT_EQ(gone.status(), 404);

  SseClient s(origin.port());
  s.get("/stream/x");
  ASSERT_TRUE(s.waitHead()) << s.describe();
  EXPECT_TRUE(s.response().closeDelimited());
  ASSERT_TRUE(origin.waitOpenCount("/stream/x", 1, Millis(2000)));
  origin.publish("x", "", "no id");
  ASSERT_TRUE(s.waitEvents(1)) << s.describe();
  EXPECT_FALSE(s.events()[0].has_id_field);
}

TEST(Harness_ClientFleet, ManyClientsOneThread) {
  FakeOrigin origin;
  ASSERT_TRUE(origin.start());
  ClientFleet fleet(origin.port());
  ASSERT_TRUE(fleet.connectAll(300, "/stream/f", Millis(10000)));
  EXPECT_EQ(fleet.countWithStatus(200), 300u);
  ASSERT_TRUE(origin.waitOpenCount("/stream/f", 300, Millis(5000)));
  for (int i = 1; i <= 5; ++i) origin.publish("f", std::to_string(i), "d" + std::to_string(i));
  ASSERT_TRUE(fleet.waitAllEvents(5, Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) {
    ASSERT_EQ(fleet.client(i).events().size(), 5u);
    EXPECT_EQ(fleet.client(i).events()[4].data, "d5");
  }
}

TEST(Harness_ChildProcess, ExitCodeAndOutput) {
  TempDir dir;
  const CommandResult r =
      runCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, dir.file("o"), Millis(5000));
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 3);
  EXPECT_NE(r.output.find("out"), std::string::npos);
  EXPECT_NE(r.output.find("err"), std::string::npos);
}

}  // namespace
}  // namespace ssegate::integration
