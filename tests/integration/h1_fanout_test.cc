// Fan-out over HTTP/1.1: one upstream connection per channel, every event to every subscriber,
// in order, with the origin's ids, re-encoded canonically.

#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_ThousandSubscribersOneUpstream) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  constexpr size_t kSubscribers = 1000;
  constexpr int kEvents = 20;
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(kSubscribers, "/events/big", Millis(60000)))
      << fleet.describeFirst([](const SseClient& c) { return !c.headComplete(); });
  ASSERT_EQ(fleet.countWithStatus(200), kSubscribers)
      << fleet.describeFirst([](const SseClient& c) { return c.status() != 200; });
  for (size_t i = 0; i < kSubscribers; ++i) {
    ASSERT_TRUE(isSseStream(fleet.client(i), "none")) << "client #" << i;
  }
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/big", 1, Millis(5000)));

  for (int i = 1; i <= kEvents; ++i) {
    origin_.publish("big", "big-" + std::to_string(i), "payload " + std::to_string(i));
  }
  ASSERT_TRUE(fleet.waitAllEvents(kEvents, Millis(60000)))
      << fleet.describeFirst([](const SseClient& c) { return c.events().size() < kEvents; });
  fleet.pumpFor(Millis(200));  // nothing more (no duplicate) may arrive

  const auto ids = idSequence("big-", 1, kEvents);
  for (size_t i = 0; i < kSubscribers; ++i) {
    const SseClient& c = fleet.client(i);
    ASSERT_TRUE(hasIds(c.events(), ids)) << "client #" << i;
    for (int e = 0; e < kEvents; ++e) {
      ASSERT_EQ(c.events()[e].data, "payload " + std::to_string(e + 1)) << "client #" << i;
    }
    ASSERT_FALSE(c.closed()) << "client #" << i << ": " << c.describe();
  }
  EXPECT_EQ(origin_.acceptedCount("/stream/big"), 1u);
  EXPECT_EQ(origin_.totalAccepted(), 1u);
  const auto requests = origin_.requests("/stream/big");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].version, "HTTP/1.1");
  EXPECT_NE(requests[0].headers.count("accept"), 0u);
  if (requests[0].headers.count("accept")) {
    EXPECT_NE(requests[0].headers.at("accept").find("text/event-stream"), std::string::npos);
  }
  EXPECT_EQ(requests[0].headers.count("last-event-id"), 0u);
}

TEST_F(GatewayTest, H1_TwoChannelsTwoUpstreams) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  for (int i = 0; i < 3; ++i) fleet.add("/events/alpha");
  for (int i = 0; i < 3; ++i) fleet.add("/events/beta");
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) ASSERT_TRUE(isSseStream(fleet.client(i), "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/alpha", 1, Millis(5000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/beta", 1, Millis(5000)));

  for (int i = 1; i <= 5; ++i) {
    origin_.publish("alpha", "a-" + std::to_string(i), "alpha " + std::to_string(i));
    origin_.publish("beta", "b-" + std::to_string(i), "beta " + std::to_string(i));
  }
  ASSERT_TRUE(fleet.waitAllEvents(5, Millis(10000)))
      << fleet.describeFirst([](const SseClient& c) { return c.events().size() < 5; });
  fleet.pumpFor(Millis(200));
  for (size_t i = 0; i < 3; ++i)
    EXPECT_TRUE(hasIds(fleet.client(i).events(), idSequence("a-", 1, 5)));
  for (size_t i = 3; i < 6; ++i)
    EXPECT_TRUE(hasIds(fleet.client(i).events(), idSequence("b-", 1, 5)));
  EXPECT_EQ(fleet.client(0).events()[4].data, "alpha 5");
  EXPECT_EQ(fleet.client(3).events()[4].data, "beta 5");
  EXPECT_EQ(origin_.acceptedCount("/stream/alpha"), 1u);
  EXPECT_EQ(origin_.acceptedCount("/stream/beta"), 1u);
  EXPECT_EQ(origin_.totalAccepted(), 2u);
}

// The stream starts at once with "retry:" and a comment; events keep their type and multi-line
// data and are re-encoded canonically (LF endings, "field: value", one data line per line).
TEST_F(GatewayTest, H1_CanonicalEncoding) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = openStream("/events/canon");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(c->waitComments(1)) << c->describe();
  ASSERT_EQ(c->sse().retries().size(), 1u) << c->body();
  EXPECT_EQ(c->sse().retries()[0], 1000);  // retry: 1s
  EXPECT_EQ(c->body().rfind("retry: 1000\n", 0), 0u) << "body starts '" << c->body() << "'";
  EXPECT_EQ(c->body().find("\n:"), std::string("retry: 1000").size())
      << "no comment line right after retry: '" << c->body() << "'";

  // HTTP/1.0 gets a close-delimited body.
  auto old = std::make_unique<SseClient>(port());
  old->get("/events/canon", {}, "HTTP/1.0");
  ASSERT_TRUE(old->waitHead()) << old->describe();
  EXPECT_EQ(old->status(), 200);
  EXPECT_FALSE(old->response().chunked());
  EXPECT_TRUE(old->response().closeDelimited());

  ASSERT_TRUE(origin_.waitOpenStreams("/stream/canon", 1, Millis(5000)));
  origin_.publish("canon", "c1", "line1\nline2", "update");
  origin_.publishRaw("canon", "id: c2\r\ndata: crlf\r\n\r\n");
  origin_.publishRaw("canon", "id:c3\ndata\ndata:x\n\n");  // "data" alone = empty data line
  ASSERT_TRUE(c->waitEvents(3)) << c->describe();
  ASSERT_TRUE(old->waitEvents(3)) << old->describe();
  EXPECT_TRUE(hasIds(c->events(), {"c1", "c2", "c3"}));
  EXPECT_TRUE(hasIds(old->events(), {"c1", "c2", "c3"}));
  EXPECT_EQ(c->events()[0].type, "update");
  EXPECT_EQ(c->events()[0].data, "line1\nline2");
  EXPECT_EQ(c->events()[2].data, "\nx");
  const std::string& body = c->body();
  EXPECT_NE(body.find("id: c1\nevent: update\ndata: line1\ndata: line2\n\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("id: c2\ndata: crlf\n\n"), std::string::npos) << body;
  EXPECT_EQ(body.find('\r'), std::string::npos) << "CR in the re-encoded stream";
  EXPECT_TRUE(c->sse().unknownLines().empty()) << c->sse().unknownLines()[0];
}

}  // namespace
}  // namespace ssegate::integration
