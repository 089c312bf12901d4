// Upstream requests and limits on what the origin sends: configured headers, idle_timeout,
// max_event_bytes, max_channels.

#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_UpstreamRequestHeaders) {
  GatewayConfig config = defaultConfig();
  config.upstream_headers = {{"Authorization", "Bearer service-token"}, {"X-Test", "yes"}};
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = openStream("/events/hdr");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/hdr", 1, Millis(5000)));
  const auto requests = origin_.requests("/stream/hdr");
  ASSERT_EQ(requests.size(), 1u);
  const auto& h = requests[0].headers;
  ASSERT_EQ(h.count("authorization"), 1u);
  EXPECT_EQ(h.at("authorization"), "Bearer service-token");
  ASSERT_EQ(h.count("x-test"), 1u);
  EXPECT_EQ(h.at("x-test"), "yes");
  ASSERT_EQ(h.count("host"), 1u);
  EXPECT_EQ(requests[0].target, "/stream/hdr");
}

// Nothing from the origin for idle_timeout: the gateway reconnects with Last-Event-ID, the
// subscriber notices nothing.
TEST_F(GatewayTest, H1_UpstreamIdleTimeoutReconnects) {
  GatewayConfig config = defaultConfig();
  config.idle_timeout = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = openStream("/events/quiet");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/quiet", 1, Millis(5000)));
  origin_.publish("quiet", "q-1", "then silence");
  const Clock::time_point last_origin_bytes = Clock::now();
  ASSERT_TRUE(c->waitEvents(1));
  ASSERT_TRUE(origin_.waitAcceptedCount("/stream/quiet", 2, Millis(4000)))
      << "no reconnect after idle_timeout";
  const auto requests = origin_.requests("/stream/quiet");
  const auto after = std::chrono::duration_cast<Millis>(requests[1].at - last_origin_bytes);
  EXPECT_GE(after.count(), 800) << "reconnected before idle_timeout";
  ASSERT_EQ(requests[1].headers.count("last-event-id"), 1u);
  EXPECT_EQ(requests[1].headers.at("last-event-id"), "q-1");
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/quiet", 1, Millis(2000)));
  origin_.publish("quiet", "q-2", "after the reconnect");
  ASSERT_TRUE(c->waitEvents(2)) << c->describe();
  EXPECT_TRUE(hasIds(c->events(), {"q-1", "q-2"}));
  EXPECT_FALSE(c->closed());
}

TEST_F(GatewayTest, H1_OversizedEventDropped) {
  GatewayConfig config = defaultConfig();
  config.max_event_bytes = "1KiB";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = openStream("/events/big");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/big", 1, Millis(5000)));
  origin_.publish("big", "o-1", "small");
  origin_.publish("big", "o-2", std::string(4096, 'x'));
  origin_.publish("big", "o-3", "small again");
  ASSERT_TRUE(c->waitEvents(2)) << c->describe();
  c->pumpUntil([] { return false; }, Millis(200));
  EXPECT_TRUE(hasIds(c->events(), {"o-1", "o-3"}));
  EXPECT_FALSE(c->closed());
  EXPECT_EQ(origin_.acceptedCount("/stream/big"), 1u) << "an oversized event broke the upstream";
}

TEST_F(GatewayTest, H1_MaxChannels) {
  GatewayConfig config = defaultConfig();
  config.max_channels = 2;
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto one = openStream("/events/one");
  auto two = openStream("/events/two");
  ASSERT_TRUE(isSseStream(*one, "none"));
  ASSERT_TRUE(isSseStream(*two, "none"));
  auto three = exchangeRaw("GET /events/three HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(isErrorResponse(*three, 503)) << "a third channel over max_channels 2";
  auto again = openStream("/events/one");
  EXPECT_TRUE(isSseStream(*again, "none")) << "an existing channel must still be joinable";
  EXPECT_EQ(origin_.acceptedCount("/stream/three"), 0u);
}

}  // namespace
}  // namespace ssegate::integration
