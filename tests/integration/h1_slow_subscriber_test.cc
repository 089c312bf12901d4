// A subscriber that stops reading is shed (subscriber_buffer soft/hard limits) while normal
// subscribers of the same channel receive every event, in order, undisturbed.

#include <iostream>
#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_SlowSubscriberIsShed) {
  GatewayConfig config = defaultConfig();
  config.soft_bytes = "64KiB";
  config.soft_timeout = "1s";
  config.hard_bytes = "256KiB";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));

  // The slow one: a tiny receive buffer, and the test never pumps it until the end.
  SseClient::Options small;
  small.rcvbuf = 4096;
  small.max_body_bytes = 0;
  small.max_event_data = 32;
  SseClient slow(port(), small);
  slow.get("/events/firehose");
  ASSERT_TRUE(slow.waitHead()) << slow.describe();
  ASSERT_TRUE(isSseStream(slow, "none"));

  SseClient::Options lean;
  lean.max_body_bytes = 0;
  lean.max_event_data = 32;
  ClientFleet fleet(port(), lean);
  ASSERT_TRUE(fleet.connectAll(10, "/events/firehose", Millis(10000)));
  for (size_t i = 0; i < fleet.size(); ++i) ASSERT_TRUE(isSseStream(fleet.client(i), "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/firehose", 1, Millis(5000)));

  // 2,000 events of ~4 KiB (8 MiB): far beyond what the kernel buffers for the slow reader plus
  // hard_bytes. Published in small batches, each delivered to the normal readers before the
  // next, so they never fall behind by more than a batch.
  constexpr int kEvents = 2000;
  constexpr int kBatch = 8;
  const std::string filler(4000, 'z');
  const Clock::time_point started = Clock::now();
  for (int i = 1; i <= kEvents; ++i) {
    origin_.publish("firehose", "s-" + std::to_string(i), std::to_string(i) + ":" + filler);
    if (i % kBatch == 0 || i == kEvents) {
      ASSERT_TRUE(fleet.waitAllEvents(static_cast<size_t>(i), Millis(10000)))
          << "normal subscribers stalled at event " << i << ": "
          << fleet.describeFirst([&](const SseClient& c) { return c.events().size() < size_t(i); });
    }
  }
  std::cout << "[ observed ] published " << kEvents << " events in " << millisSince(started).count()
            << " ms" << std::endl;
  // Give soft_timeout a chance to expire (the shed may need it); normal readers keep reading.
  fleet.pumpFor(Millis(1500));

  for (size_t i = 0; i < fleet.size(); ++i) {
    const SseClient& c = fleet.client(i);
    ASSERT_FALSE(c.closed()) << "normal subscriber #" << i << " was disconnected: " << c.describe();
    ASSERT_TRUE(hasIds(c.events(), idSequence("s-", 1, kEvents))) << "normal subscriber #" << i;
    ASSERT_EQ(c.events().back().data_size, std::to_string(kEvents).size() + 1 + filler.size());
  }

  // Now read what the slow one was sent: a clean prefix of the stream, then the close.
  ASSERT_TRUE(slow.waitClosed(Millis(10000)))
      << "the slow subscriber was never disconnected: " << slow.describe();
  std::cout << "[ observed ] slow subscriber got " << slow.events().size() << " events ("
            << slow.bodyBytes() << " bytes) before being shed" << std::endl;
  EXPECT_LT(slow.events().size(), static_cast<size_t>(kEvents));
  EXPECT_TRUE(hasIds(slow.events(), idSequence("s-", 1, static_cast<int>(slow.events().size()))))
      << "the slow subscriber saw a gap or a duplicate before being shed";
}

}  // namespace
}  // namespace ssegate::integration
