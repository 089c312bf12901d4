// limits.max_connections: beyond it, 503; a freed slot is usable again.

#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_MaxConnections) {
  GatewayConfig config = defaultConfig();
  config.max_connections = 5;
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(5, "/events/cap", Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) ASSERT_TRUE(isSseStream(fleet.client(i), "none"));

  auto sixth = exchangeRaw("GET /events/cap HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_TRUE(isErrorResponse(*sixth, 503)) << "the 6th connection";

  // Free one slot: a new subscriber is accepted again (the close takes a moment to be seen).
  // A rejected attempt is closed before the next one, or it would hold the slot itself.
  sixth.reset();
  fleet.client(0).close();
  std::unique_ptr<SseClient> again;
  const bool accepted = waitUntil(
      [&] {
        again.reset();
        again = openStream("/events/cap");
        return again->status() == 200;
      },
      Millis(5000), Millis(50));
  EXPECT_TRUE(accepted) << again->describe();
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/cap", 1, Millis(5000)));
  origin_.publish("cap", "cap-1", "x");
  ASSERT_TRUE(again->waitEvents(1)) << again->describe();
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.client(4).events().size() == 1; }, Millis(5000)));
}

}  // namespace
}  // namespace ssegate::integration
