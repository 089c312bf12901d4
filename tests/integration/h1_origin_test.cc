// The upstream side: reconnect with Last-Event-ID after an origin restart, definitive and
// transient origin errors, and linger before closing an unused upstream.

#include <iostream>
#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_OriginRestartNoLossNoDup) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(5, "/events/r", Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) ASSERT_TRUE(isSseStream(fleet.client(i), "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/r", 1, Millis(5000)));
  for (int i = 1; i <= 3; ++i)
    origin_.publish("r", "r-" + std::to_string(i), "before " + std::to_string(i));
  ASSERT_TRUE(fleet.waitAllEvents(3, Millis(10000)));

  origin_.stop();  // abrupt: every origin connection is reset, the port refuses connections
  for (int i = 4; i <= 6; ++i)
    origin_.publish("r", "r-" + std::to_string(i), "down " + std::to_string(i));
  fleet.pumpFor(Millis(300));  // the gateway retries against a closed port meanwhile
  ASSERT_EQ(fleet.countClosed(), 0u)
      << fleet.describeFirst([](const SseClient& c) { return c.closed(); });
  ASSERT_TRUE(origin_.start());

  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/r", 2, Millis(10000)));
  ASSERT_TRUE(fleet.waitAllEvents(6, Millis(10000)))
      << fleet.describeFirst([](const SseClient& c) { return c.events().size() < 6; });
  origin_.publish("r", "r-7", "after 7");
  ASSERT_TRUE(fleet.waitAllEvents(7, Millis(10000)))
      << fleet.describeFirst([](const SseClient& c) { return c.events().size() < 7; });
  fleet.pumpFor(Millis(200));

  const auto requests = origin_.requests("/stream/r");
  ASSERT_EQ(requests.size(), 2u) << "the gateway reconnected more than once";
  EXPECT_EQ(requests[0].headers.count("last-event-id"), 0u);
  ASSERT_EQ(requests[1].headers.count("last-event-id"), 1u) << "reconnect without Last-Event-ID";
  EXPECT_EQ(requests[1].headers.at("last-event-id"), "r-3");
  for (size_t i = 0; i < fleet.size(); ++i) {
    const SseClient& c = fleet.client(i);
    EXPECT_FALSE(c.closed()) << "client #" << i << " lost its TCP connection: " << c.describe();
    EXPECT_TRUE(hasIds(c.events(), idSequence("r-", 1, 7))) << "client #" << i;
    EXPECT_EQ(c.events()[4].data, "down 5");
  }
}

// A definitive origin answer (404) reaches the subscriber as 404, either at once or (if the
// gateway had already sent 200) after the stream is closed and the client reconnects.
TEST_F(GatewayTest, H1_DefinitiveOriginStatus) {
  origin_.setStatus("/stream/gone", 404);
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto first = openStream("/events/gone");
  ASSERT_TRUE(first->headComplete()) << first->describe();
  std::string observed;
  if (first->status() == 404) {
    observed = "direct 404";
    EXPECT_TRUE(first->waitClosed()) << first->describe();
    EXPECT_TRUE(isErrorResponse(*first, 404));
  } else {
    ASSERT_TRUE(isSseStream(*first, "none"));
    ASSERT_TRUE(first->waitClosed(Millis(10000)))
        << "the stream stayed open after the origin answered 404: " << first->describe();
    auto second = openStream("/events/gone");
    observed = "200 then close, reconnect gets " + std::to_string(second->status());
    second->waitClosed();
    EXPECT_TRUE(isErrorResponse(*second, 404));
  }
  std::cout << "[ observed ] H1_DefinitiveOriginStatus: " << observed << std::endl;
  RecordProperty("observed", observed);
  EXPECT_GE(origin_.acceptedCount("/stream/gone"), 1u);
  EXPECT_LE(origin_.acceptedCount("/stream/gone"), 3u) << "the gateway keeps retrying a 404";
}

// Every definitive status is relayed as such to a new channel's first subscriber.
TEST_F(GatewayTest, H1_DefinitiveOriginStatusesRelayed) {
  const int statuses[] = {204, 401, 403, 404, 410};
  for (int status : statuses) origin_.setStatus("/stream/s" + std::to_string(status), status);
  ASSERT_NO_FATAL_FAILURE(startGateway());
  for (int status : statuses) {
    auto c = openStream("/events/s" + std::to_string(status));
    if (c->status() == 200) {
      // The other accepted behaviour: 200, then the stream ends, then the retry gets it.
      ASSERT_TRUE(c->waitClosed()) << status << ": " << c->describe();
      c = openStream("/events/s" + std::to_string(status));
    }
    c->waitClosed();
    EXPECT_EQ(c->status(), status) << c->describe();
    EXPECT_TRUE(c->closed()) << status << ": " << c->describe();
    if (status == 204) {
      EXPECT_EQ(c->bodyBytes(), 0u) << "a 204 with a body";
    }
  }
}

// A definitive answer on a reconnect ends the live streams of the channel (an EventSource then
// reconnects and sees the status itself).
TEST_F(GatewayTest, H1_DefinitiveStatusEndsLiveStreams) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(3, "/events/ending", Millis(10000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/ending", 1, Millis(5000)));
  origin_.publish("ending", "e-1", "last words");
  ASSERT_TRUE(fleet.waitAllEvents(1, Millis(5000)));
  origin_.stop();
  origin_.setStatus("/stream/ending", 410);
  ASSERT_TRUE(origin_.start());
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/ending", 2, Millis(5000)));
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.countClosed() == fleet.size(); }, Millis(5000)))
      << "live streams stayed open after the origin answered 410: "
      << fleet.describeFirst([](const SseClient& c) { return !c.closed(); });
  for (size_t i = 0; i < fleet.size(); ++i) {
    EXPECT_FALSE(fleet.client(i).response().truncated())
        << "stream #" << i << " was cut instead of ended (no last chunk)";
    EXPECT_TRUE(hasIds(fleet.client(i).events(), {"e-1"}));
  }
  auto retry = openStream("/events/ending");
  retry->waitClosed();
  EXPECT_EQ(retry->status(), 410) << retry->describe();
}

// A transient origin error (500, wrong content type) is retried with backoff while the
// subscriber keeps its 200 stream; once the origin recovers, events flow.
TEST_F(GatewayTest, H1_OriginErrorsAreRetried) {
  origin_.setStatus("/stream/flaky", 500);
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto c = openStream("/events/flaky");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/flaky", 2, Millis(5000)));

  origin_.setContentType("/stream/flaky", "text/html");
  origin_.setStatus("/stream/flaky", 0);
  const size_t before = origin_.acceptedCount("/stream/flaky");
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/flaky", before + 2, Millis(5000)))
      << "a 200 text/html answer was not retried";

  origin_.setContentType("/stream/flaky", "");
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/flaky", 1, Millis(5000)));
  origin_.publish("flaky", "f-1", "finally");
  ASSERT_TRUE(c->waitEvents(1)) << c->describe();
  EXPECT_TRUE(hasIds(c->events(), {"f-1"}));
  EXPECT_FALSE(c->closed()) << c->describe();
  EXPECT_TRUE(origin_.waitOpenCount("/stream/flaky", 1, Millis(2000)))
      << "stale upstream connections left open: " << origin_.openCount("/stream/flaky");
}

TEST_F(GatewayTest, H1_CloseDelimitedOrigin) {
  FakeOrigin plain(FakeOrigin::Options{.chunked = false});
  ASSERT_TRUE(plain.start());
  GatewayConfig config = defaultConfig();
  config.origin_port = plain.port();
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = openStream("/events/p");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(plain.waitOpenStreams("/stream/p", 1, Millis(5000)));
  plain.publish("p", "p-1", "one");
  plain.publish("p", "p-2", "two");
  ASSERT_TRUE(c->waitEvents(2)) << c->describe();
  EXPECT_TRUE(hasIds(c->events(), {"p-1", "p-2"}));
}

TEST_F(GatewayTest, H1_LingerClosesUpstream) {
  GatewayConfig config = defaultConfig();
  config.linger = "2s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto first = openStream("/events/l");
  ASSERT_TRUE(isSseStream(*first, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/l", 1, Millis(5000)));
  first->close();

  // Within linger, a new subscriber reuses the upstream connection.
  auto second = openStream("/events/l");
  ASSERT_TRUE(isSseStream(*second, "none"));
  origin_.publish("l", "l-1", "still here");
  ASSERT_TRUE(second->waitEvents(1)) << second->describe();
  EXPECT_EQ(origin_.acceptedCount("/stream/l"), 1u);

  second->close();
  const Clock::time_point left_at = Clock::now();
  ASSERT_TRUE(origin_.waitOpenCount("/stream/l", 0, Millis(2000 + 3000)))
      << "the upstream stayed open long after linger";
  const auto closed_at = origin_.lastPeerCloseAt("/stream/l");
  ASSERT_TRUE(closed_at.has_value());
  const auto after = std::chrono::duration_cast<Millis>(*closed_at - left_at);
  std::cout << "[ observed ] upstream closed " << after.count() << " ms after the last "
            << "subscriber left (linger 2000 ms)" << std::endl;
  EXPECT_GE(after.count(), 1000) << "closed before linger/2";
  EXPECT_LE(after.count(), 4000) << "closed later than linger + 2 s";
  EXPECT_EQ(origin_.acceptedCount("/stream/l"), 1u);
}

}  // namespace
}  // namespace ssegate::integration
