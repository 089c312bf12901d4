// limits.max_connections: beyond it, 503; a freed slot is usable again.

#include <string>
#include <vector>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_MaxConnections) {
  GatewayConfig config = defaultConfig();
  config.max_connections = 5;
  ASSERT_NO_FATAL_FAILURE(startGateway(config));

  // Opens a subscriber, retrying while the gateway still counts a connection that the client
  // already closed (GatewayProcess's readiness probe, a rejected attempt): the close takes a
  // moment to be seen. Each rejected attempt is closed before the next.
  auto subscribe = [&]() {
    std::unique_ptr<SseClient> c;
    waitUntil(
        [&] {
          c.reset();
          c = openStream("/events/cap");
          return c->status() == 200;
        },
        Millis(5000), Millis(50));
    return c;
  };
  std::vector<std::unique_ptr<SseClient>> subscribers;
  for (int i = 0; i < 5; ++i) {
    subscribers.push_back(subscribe());
    ASSERT_TRUE(isSseStream(*subscribers.back(), "none")) << "subscriber #" << i;
  }

  auto sixth = exchangeRaw("GET /events/cap HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(isErrorResponse(*sixth, 503)) << "the 6th connection";

  // Free one slot: a new subscriber is accepted again.
  sixth.reset();
  subscribers[0]->close();
  auto again = subscribe();
  EXPECT_TRUE(isSseStream(*again, "none")) << "a freed slot was not reusable";
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/cap", 1, Millis(5000)));
  origin_.publish("cap", "cap-1", "x");
  ASSERT_TRUE(again->waitEvents(1)) << again->describe();
  ASSERT_TRUE(subscribers[4]->waitEvents(1)) << subscribers[4]->describe();
  EXPECT_TRUE(hasIds(again->events(), {"cap-1"}));
}

}  // namespace
}  // namespace ssegate::integration
