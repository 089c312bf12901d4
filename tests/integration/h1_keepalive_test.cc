// Keepalive comments on a silent stream, also while the origin is down.

#include <iostream>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_KeepaliveOnIdleChannel) {
  GatewayConfig config = defaultConfig();
  config.keepalive_interval = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto c = openStream("/events/idle");
  ASSERT_TRUE(isSseStream(*c, "none"));
  ASSERT_TRUE(c->waitComments(1)) << "no comment at the start of the stream: " << c->describe();
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/idle", 1, Millis(5000)));

  // Each gap between comments on a silent stream: about the interval (a per-worker sweep may add
  // up to one interval), never much earlier.
  const size_t start = c->sse().comments().size();
  Clock::time_point previous = c->sse().comments().back().at;
  for (size_t k = 1; k <= 2; ++k) {
    ASSERT_TRUE(c->waitComments(start + k, Millis(3000))) << "no keepalive: " << c->describe();
    const Clock::time_point at = c->sse().comments()[start + k - 1].at;
    const auto gap = std::chrono::duration_cast<Millis>(at - previous).count();
    std::cout << "[ observed ] keepalive gap " << gap << " ms (interval 1000 ms)" << std::endl;
    EXPECT_GE(gap, 500) << "keepalive much earlier than keepalive_interval";
    EXPECT_LE(gap, 2500) << "keepalive much later than keepalive_interval";
    previous = at;
  }
  EXPECT_TRUE(c->events().empty());

  // The origin goes away: the subscriber keeps its stream and its keepalives.
  origin_.stop();
  const size_t before = c->sse().comments().size();
  ASSERT_TRUE(c->waitComments(before + 1, Millis(3000)))
      << "no keepalive while the origin is down: " << c->describe();
  EXPECT_FALSE(c->closed());
}

}  // namespace
}  // namespace ssegate::integration
