// Resume with Last-Event-ID (header or ?lastEventId=) from the channel's replay ring, with
// X-Replay: hit|miss|none, no gap and no duplicate between replayed and live events.

#include <atomic>
#include <string>
#include <thread>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_LastEventIdReplay) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  SseClient& keeper = fleet.add("/events/rp");  // keeps the channel (and its ring) alive
  SseClient& leaver = fleet.add("/events/rp");
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  ASSERT_TRUE(isSseStream(keeper, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/rp", 1, Millis(5000)));

  for (int i = 1; i <= 3; ++i)
    origin_.publish("rp", "p-" + std::to_string(i), "d" + std::to_string(i));
  ASSERT_TRUE(fleet.waitAllEvents(3, Millis(10000)));
  const std::string resume_from = leaver.events().back().id;
  ASSERT_EQ(resume_from, "p-3");
  leaver.close();
  for (int i = 4; i <= 5; ++i)
    origin_.publish("rp", "p-" + std::to_string(i), "d" + std::to_string(i));
  ASSERT_TRUE(fleet.pumpUntil([&] { return keeper.events().size() == 5; }, Millis(10000)));

  SseClient& by_header = fleet.add("/events/rp", {{"Last-Event-ID", resume_from}});
  SseClient& by_query = fleet.add("/events/rp?lastEventId=" + resume_from);
  SseClient& unknown = fleet.add("/events/rp", {{"Last-Event-ID", "no-such-id"}});
  SseClient& fresh = fleet.add("/events/rp");
  SseClient& at_end = fleet.add("/events/rp", {{"Last-Event-ID", "p-5"}});
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  EXPECT_TRUE(isSseStream(by_header, "hit"));
  EXPECT_TRUE(isSseStream(by_query, "hit"));
  EXPECT_TRUE(isSseStream(unknown, "miss"));
  EXPECT_TRUE(isSseStream(fresh, "none"));
  EXPECT_TRUE(isSseStream(at_end, "hit"));
  ASSERT_TRUE(fleet.pumpUntil(
      [&] {
        return by_header.events().size() >= 2 && by_query.events().size() >= 2 &&
               unknown.events().size() >= 5;
      },
      Millis(10000)))
      << by_header.describe() << " / " << by_query.describe() << " / " << unknown.describe();

  origin_.publish("rp", "p-6", "d6");  // live, right after the replay
  ASSERT_TRUE(fleet.pumpUntil(
      [&] {
        return keeper.events().size() >= 6 && by_header.events().size() >= 3 &&
               by_query.events().size() >= 3 && unknown.events().size() >= 6 &&
               fresh.events().size() >= 1 && at_end.events().size() >= 1;
      },
      Millis(10000)));
  fleet.pumpFor(Millis(200));
  EXPECT_TRUE(hasIds(keeper.events(), idSequence("p-", 1, 6))) << "keeper";
  EXPECT_TRUE(hasIds(by_header.events(), idSequence("p-", 4, 6))) << "Last-Event-ID header";
  EXPECT_TRUE(hasIds(by_query.events(), idSequence("p-", 4, 6))) << "?lastEventId=";
  EXPECT_TRUE(hasIds(unknown.events(), idSequence("p-", 1, 6))) << "unknown id: whole ring";
  EXPECT_TRUE(hasIds(fresh.events(), {"p-6"})) << "no Last-Event-ID: live only";
  EXPECT_TRUE(hasIds(at_end.events(), {"p-6"})) << "Last-Event-ID = newest";
  EXPECT_EQ(by_header.events()[0].data, "d4");
  EXPECT_EQ(unknown.events()[0].data, "d1");
  EXPECT_EQ(origin_.acceptedCount("/stream/rp"), 1u) << "replay must come from the ring";
}

// An origin event without an id gets a gateway id; that id works for Last-Event-ID.
TEST_F(GatewayTest, H1_GatewayIdsForEventsWithoutId) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  SseClient& keeper = fleet.add("/events/noid");
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/noid", 1, Millis(5000)));
  origin_.publish("noid", "", "anonymous 1");
  origin_.publish("noid", "n-2", "named 2");
  origin_.publish("noid", "", "anonymous 3");
  ASSERT_TRUE(fleet.pumpUntil([&] { return keeper.events().size() >= 3; }, Millis(10000)));
  const auto& ev = keeper.events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_TRUE(ev[0].has_id_field && !ev[0].id.empty()) << "no gateway id on an id-less event";
  EXPECT_EQ(ev[1].id, "n-2");
  EXPECT_TRUE(ev[2].has_id_field && !ev[2].id.empty());
  EXPECT_NE(ev[2].id, ev[0].id);
  EXPECT_NE(ev[2].id, "n-2");
  const std::string first_gateway_id = ev[0].id;
  const std::string last_gateway_id = ev[2].id;

  SseClient& after_first = fleet.add("/events/noid", {{"Last-Event-ID", first_gateway_id}});
  SseClient& after_last = fleet.add("/events/noid?lastEventId=" + last_gateway_id);
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  EXPECT_TRUE(isSseStream(after_first, "hit"));
  EXPECT_TRUE(isSseStream(after_last, "hit"));
  origin_.publish("noid", "n-4", "named 4");
  ASSERT_TRUE(fleet.pumpUntil(
      [&] { return after_first.events().size() >= 3 && after_last.events().size() >= 1; },
      Millis(10000)))
      << after_first.describe() << " / " << after_last.describe();
  fleet.pumpFor(Millis(200));
  EXPECT_TRUE(hasIds(after_first.events(), {"n-2", last_gateway_id, "n-4"}));
  EXPECT_TRUE(hasIds(after_last.events(), {"n-4"}));
  EXPECT_EQ(after_first.events()[1].data, "anonymous 3");
}

// The ring keeps max_events; an evicted id is a miss and replays what the ring still holds.
TEST_F(GatewayTest, H1_ReplayRingIsBounded) {
  GatewayConfig config = defaultConfig();
  config.replay_max_events = 3;
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto keeper = openStream("/events/ring");
  ASSERT_TRUE(isSseStream(*keeper, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/ring", 1, Millis(5000)));
  for (int i = 1; i <= 6; ++i) origin_.publish("ring", "g-" + std::to_string(i), "x");
  ASSERT_TRUE(keeper->waitEvents(6)) << keeper->describe();

  auto evicted = openStream("/events/ring", {{"Last-Event-ID", "g-2"}});
  ASSERT_TRUE(isSseStream(*evicted, "miss"));
  ASSERT_TRUE(evicted->waitEvents(3)) << evicted->describe();
  auto kept = openStream("/events/ring", {{"Last-Event-ID", "g-4"}});
  ASSERT_TRUE(isSseStream(*kept, "hit"));
  ASSERT_TRUE(kept->waitEvents(2)) << kept->describe();
  evicted->pumpUntil([] { return false; }, Millis(200));
  EXPECT_TRUE(hasIds(evicted->events(), idSequence("g-", 4, 6)));
  EXPECT_TRUE(hasIds(kept->events(), idSequence("g-", 5, 6)));
}

// Subscribers join with Last-Event-ID while the origin publishes continuously: each gets a
// contiguous sequence from its resume point to the end, with no gap and no duplicate at the
// seam between replayed and live events. Fresh subscribers get a contiguous tail.
TEST_F(GatewayTest, H1_ReplayLiveSeamUnderLoad) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  ClientFleet fleet(port());
  SseClient& keeper = fleet.add("/events/seam");
  ASSERT_TRUE(fleet.waitHeads(Millis(5000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/seam", 1, Millis(5000)));

  constexpr int kEvents = 600;
  std::atomic<bool> publishing{true};
  std::thread publisher([&] {
    for (int i = 1; i <= kEvents; ++i) {
      origin_.publish("seam", "e-" + std::to_string(i), "seam " + std::to_string(i));
      if (i % 4 == 0) std::this_thread::sleep_for(Millis(5));
    }
    publishing = false;
  });
  struct Joiner {
    SseClient* client;
    int resume_after;  // -1: no Last-Event-ID
  };
  std::vector<Joiner> joiners;
  while (publishing && joiners.size() < 60) {
    fleet.pumpFor(Millis(15));
    const int seen = static_cast<int>(keeper.events().size());
    if (seen > 0 && joiners.size() % 3 != 2) {
      joiners.push_back(
          {&fleet.add("/events/seam", {{"Last-Event-ID", keeper.events().back().id}}), seen});
    } else {
      joiners.push_back({&fleet.add("/events/seam"), -1});
    }
  }
  publisher.join();
  // A last event once every joiner has its stream, so that even the latest fresh joiner
  // has something to receive.
  ASSERT_TRUE(fleet.waitHeads(Millis(10000)));
  constexpr int kLast = kEvents + 1;
  origin_.publish("seam", "e-" + std::to_string(kLast), "the end");
  const std::string last_id = "e-" + std::to_string(kLast);
  ASSERT_TRUE(fleet.pumpUntil(
      [&] {
        for (size_t i = 0; i < fleet.size(); ++i) {
          const auto& ev = fleet.client(i).events();
          if (fleet.client(i).closed() || ev.empty() || ev.back().id != last_id) return false;
        }
        return true;
      },
      Millis(15000)))
      << fleet.describeFirst([&](const SseClient& c) {
           return c.closed() || c.events().empty() || c.events().back().id != last_id;
         });
  fleet.pumpFor(Millis(200));
  EXPECT_TRUE(hasIds(keeper.events(), idSequence("e-", 1, kLast)));
  ASSERT_GE(joiners.size(), 10u) << "the publisher finished before subscribers could join";
  for (size_t j = 0; j < joiners.size(); ++j) {
    const SseClient& c = *joiners[j].client;
    if (joiners[j].resume_after >= 0) {
      EXPECT_TRUE(isSseStream(c, "hit")) << "joiner #" << j;
      EXPECT_TRUE(hasIds(c.events(), idSequence("e-", joiners[j].resume_after + 1, kLast)))
          << "joiner #" << j << " resumed after e-" << joiners[j].resume_after;
    } else {
      ASSERT_FALSE(c.events().empty());
      const int first = std::stoi(c.events().front().id.substr(2));
      EXPECT_TRUE(hasIds(c.events(), idSequence("e-", first, kLast))) << "fresh joiner #" << j;
      EXPECT_TRUE(isSseStream(c, "none")) << "fresh joiner #" << j;
    }
  }
}

}  // namespace
}  // namespace ssegate::integration
