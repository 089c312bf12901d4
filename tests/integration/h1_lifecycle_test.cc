// Process lifecycle (DESIGN A2): SIGTERM drains subscribers and exits 0; SIGHUP reloads the
// configuration without dropping streams and keeps the old one when the new one is invalid.

#include <signal.h>

#include <iostream>
#include <string>

#include "gateway_test.h"
#include "harness/socket_util.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_SigtermDrainsSubscribers) {
  GatewayConfig config = defaultConfig();
  config.drain_timeout = "2s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(20, "/events/drain", Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) ASSERT_TRUE(isSseStream(fleet.client(i), "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/drain", 1, Millis(5000)));
  origin_.publish("drain", "d-1", "before the drain");
  ASSERT_TRUE(fleet.waitAllEvents(1, Millis(5000)));

  const Clock::time_point signalled = Clock::now();
  ASSERT_TRUE(gateway_->signal(SIGTERM));
  // Once the drain has visibly started, the listener takes no new subscriber.
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.countClosed() > 0; }, Millis(4000)))
      << "no subscriber closed within drain_timeout + 2 s";
  if (fleet.countClosed() < fleet.size()) {
    SseClient late(port());
    late.get("/events/drain");
    late.waitHead(Millis(2000));
    EXPECT_NE(late.status(), 200) << "a new subscriber was accepted while draining: "
                                  << late.describe();
  }
  std::vector<Millis> closed_after(fleet.size(), Millis(-1));
  ASSERT_TRUE(fleet.pumpUntil(
      [&] {
        for (size_t i = 0; i < fleet.size(); ++i) {
          if (fleet.client(i).closed() && closed_after[i].count() < 0) {
            closed_after[i] = millisSince(signalled);
          }
        }
        return fleet.countClosed() == fleet.size();
      },
      Millis(2000 + 3000)))
      << fleet.countClosed() << " of " << fleet.size() << " closed after drain_timeout + 3 s";
  const auto [first, last] = std::minmax_element(closed_after.begin(), closed_after.end());
  std::cout << "[ observed ] drain closed subscribers from " << first->count() << " ms to "
            << last->count() << " ms after SIGTERM (drain_timeout 2000 ms)" << std::endl;
  EXPECT_LE(last->count(), 3500);
  EXPECT_GE((*last - *first).count(), 500) << "subscribers were not spread over drain_timeout";
  for (size_t i = 0; i < fleet.size(); ++i) {
    EXPECT_TRUE(hasIds(fleet.client(i).events(), {"d-1"})) << "client #" << i;
  }
  const auto exit = gateway_->waitExit(Millis(5000));
  ASSERT_TRUE(exit.has_value()) << "ssegate still running 5 s after the drain";
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->describe();
}

TEST_F(GatewayTest, H1_SighupReloadKeepsStreams) {
  GatewayConfig config = defaultConfig();
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  ClientFleet fleet(port());
  SseClient& old_stream = fleet.add("/events/hup");
  ASSERT_TRUE(fleet.waitHeads(Millis(5000)));
  ASSERT_TRUE(isSseStream(old_stream, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/hup", 1, Millis(5000)));
  origin_.publish("hup", "h-1", "one");
  ASSERT_TRUE(fleet.waitAllEvents(1, Millis(5000)));

  // A valid new configuration: retry 1s -> 2s, visible on new streams.
  config.retry = "2s";
  gateway_->rewriteConfig(config);
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  std::unique_ptr<SseClient> fresh;
  const bool reloaded = waitUntil(
      [&] {
        fresh = openStream("/events/hup");
        fresh->waitComments(1, Millis(1000));
        return !fresh->sse().retries().empty() && fresh->sse().retries()[0] == 2000;
      },
      Millis(5000), Millis(100));
  ASSERT_TRUE(reloaded) << "new streams still get the old retry after SIGHUP: "
                        << fresh->describe();

  // An invalid one: logged, the running configuration stays.
  gateway_->rewriteConfigText("workers: [not a number\n");
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  origin_.publish("hup", "h-2", "two");
  ASSERT_TRUE(fleet.waitAllEvents(2, Millis(5000))) << old_stream.describe();
  ASSERT_TRUE(fresh->waitEvents(1)) << fresh->describe();
  auto after_bad = openStream("/events/hup");
  ASSERT_TRUE(isSseStream(*after_bad, "none"));
  ASSERT_TRUE(after_bad->waitComments(1));
  ASSERT_FALSE(after_bad->sse().retries().empty());
  EXPECT_EQ(after_bad->sse().retries()[0], 2000);
  EXPECT_TRUE(gateway_->running());

  EXPECT_FALSE(old_stream.closed()) << "the reload dropped a stream: " << old_stream.describe();
  EXPECT_TRUE(hasIds(old_stream.events(), {"h-1", "h-2"}));
  EXPECT_EQ(origin_.acceptedCount("/stream/hup"), 1u) << "the reload reconnected the upstream";
  // Restore a valid file so TearDown's stop is about the running process only.
  gateway_->rewriteConfig(config);
}

}  // namespace
}  // namespace ssegate::integration
