#include "channel/replay_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssegate::channel {
namespace {

EncodedEventPtr ev(const std::string& id) {
  return EncodedEvent::make(id, "data: " + id + "\n\n");
}

std::vector<std::string> ids(const std::vector<EncodedEventPtr>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e->id());
  return out;
}

using Ids = std::vector<std::string>;

// Replays `last_id` at `now` and returns the ids replayed; `kind` receives the answer.
Ids replay(ReplayRing& ring, std::string_view last_id, int64_t now, ReplayKind* kind) {
  std::vector<EncodedEventPtr> out;
  *kind = ring.after(last_id, now, &out);
  return ids(out);
}

TEST(ReplayRingTest, KindNames) {
  EXPECT_EQ(replayKindName(ReplayKind::kNone), "none");
  EXPECT_EQ(replayKindName(ReplayKind::kHit), "hit");
  EXPECT_EQ(replayKindName(ReplayKind::kMiss), "miss");
}

TEST(ReplayRingTest, EmptyRing) {
  ReplayRing ring(10, 60000);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.newest(), nullptr);
  EXPECT_FALSE(ring.contains("a"));
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "a", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kMiss);
  EXPECT_EQ(replay(ring, "", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kNone);
}

TEST(ReplayRingTest, HitReplaysEventsStrictlyAfterOldestFirst) {
  ReplayRing ring(10, 60000);
  for (const char* id : {"a", "b", "c", "d"}) ring.push(ev(id), 100);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "a", 100, &kind), (Ids{"b", "c", "d"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
  EXPECT_EQ(replay(ring, "c", 100, &kind), (Ids{"d"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
  // The newest id: a hit with nothing to replay (the subscriber is up to date).
  EXPECT_EQ(replay(ring, "d", 100, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kHit);
  // after() does not consume.
  EXPECT_EQ(ring.size(), 4u);
}

TEST(ReplayRingTest, AfterAppendsWithoutClearing) {
  ReplayRing ring(10, 60000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 0);
  std::vector<EncodedEventPtr> out{ev("pre")};
  EXPECT_EQ(ring.after("a", 0, &out), ReplayKind::kHit);
  EXPECT_EQ(ids(out), (Ids{"pre", "b"}));
}

TEST(ReplayRingTest, ReplaysTheSameSharedEvents) {
  ReplayRing ring(10, 60000);
  auto a = ev("a");
  auto b = ev("b");
  ring.push(a, 0);
  ring.push(b, 0);
  std::vector<EncodedEventPtr> out;
  ring.after("a", 0, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].get(), b.get());
  ASSERT_NE(ring.newest(), nullptr);
  EXPECT_EQ(ring.newest()->get(), b.get());
}

TEST(ReplayRingTest, MissReplaysWholeRing) {
  ReplayRing ring(10, 60000);
  for (const char* id : {"a", "b", "c"}) ring.push(ev(id), 0);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "zzz", 0, &kind), (Ids{"a", "b", "c"}));
  EXPECT_EQ(kind, ReplayKind::kMiss);
}

TEST(ReplayRingTest, EmptyIdIsNoneAndAppendsNothing) {
  ReplayRing ring(10, 60000);
  for (const char* id : {"a", "b"}) ring.push(ev(id), 0);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kNone);
}

TEST(ReplayRingTest, EvictsOldestBeyondMaxEvents) {
  ReplayRing ring(3, 60000);
  for (const char* id : {"a", "b", "c", "d", "e"}) ring.push(ev(id), 0);
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_FALSE(ring.contains("a"));
  EXPECT_FALSE(ring.contains("b"));
  EXPECT_TRUE(ring.contains("c"));
  EXPECT_TRUE(ring.contains("e"));
  EXPECT_EQ((*ring.newest())->id(), "e");
  ReplayKind kind;
  // An evicted id is a miss: the whole (remaining) ring.
  EXPECT_EQ(replay(ring, "b", 0, &kind), (Ids{"c", "d", "e"}));
  EXPECT_EQ(kind, ReplayKind::kMiss);
  EXPECT_EQ(replay(ring, "c", 0, &kind), (Ids{"d", "e"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
}

TEST(ReplayRingTest, MaxEventsOneKeepsOnlyNewest) {
  ReplayRing ring(1, 60000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 0);
  EXPECT_EQ(ring.size(), 1u);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "b", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kHit);
  EXPECT_EQ(replay(ring, "a", 0, &kind), (Ids{"b"}));
  EXPECT_EQ(kind, ReplayKind::kMiss);
}

TEST(ReplayRingTest, MaxEventsZeroDisablesTheRing) {
  ReplayRing ring(0, 60000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 0);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.newest(), nullptr);
  EXPECT_FALSE(ring.contains("a"));
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "a", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kMiss);
  EXPECT_EQ(replay(ring, "", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kNone);
}

TEST(ReplayRingTest, ExpiresByMaxAge) {
  ReplayRing ring(100, 1000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 500);
  ring.push(ev("c"), 900);
  EXPECT_EQ(ring.size(), 3u);
  // Exactly max_age old is not "older than" max_age: kept.
  ring.expire(1000);
  EXPECT_EQ(ring.size(), 3u);
  ring.expire(1001);
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_FALSE(ring.contains("a"));
  ring.expire(1500);
  EXPECT_EQ(ring.size(), 2u);
  ring.expire(1501);
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_TRUE(ring.contains("c"));
  ring.expire(5000);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.newest(), nullptr);
}

TEST(ReplayRingTest, PushExpiresOldEntries) {
  ReplayRing ring(100, 1000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 100);
  ring.push(ev("c"), 1050);  // "a" is now 1050 ms old
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_FALSE(ring.contains("a"));
  EXPECT_TRUE(ring.contains("b"));
}

TEST(ReplayRingTest, AfterExpiresFirstSoAnAgedOutIdIsAMiss) {
  ReplayRing ring(100, 1000);
  ring.push(ev("a"), 0);
  ring.push(ev("b"), 600);
  ring.push(ev("c"), 700);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "a", 1000, &kind), (Ids{"b", "c"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
  // At 1200 "a" is too old: it is gone, the request is a miss and gets what is left.
  EXPECT_EQ(replay(ring, "a", 1200, &kind), (Ids{"b", "c"}));
  EXPECT_EQ(kind, ReplayKind::kMiss);
  EXPECT_EQ(ring.size(), 2u);
  // Everything aged out: a miss with nothing to replay.
  EXPECT_EQ(replay(ring, "b", 10000, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kMiss);
  EXPECT_EQ(ring.size(), 0u);
}

TEST(ReplayRingTest, DuplicateIdsNewestMatchWins) {
  ReplayRing ring(10, 60000);
  for (const char* id : {"x", "a", "x", "b", "c"}) ring.push(ev(id), 0);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "x", 0, &kind), (Ids{"b", "c"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
  EXPECT_TRUE(ring.contains("x"));
}

TEST(ReplayRingTest, DuplicateIdOlderCopyStillHitsAfterNewerEvicted) {
  ReplayRing ring(3, 60000);
  for (const char* id : {"x", "a", "b"}) ring.push(ev(id), 0);
  ReplayKind kind;
  EXPECT_EQ(replay(ring, "x", 0, &kind), (Ids{"a", "b"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
  ring.push(ev("x"), 0);  // evicts the first "x"
  EXPECT_EQ(replay(ring, "x", 0, &kind), Ids{});
  EXPECT_EQ(kind, ReplayKind::kHit);
  EXPECT_EQ(replay(ring, "a", 0, &kind), (Ids{"b", "x"}));
  EXPECT_EQ(kind, ReplayKind::kHit);
}

TEST(ReplayRingTest, EvictionReleasesEvents) {
  ReplayRing ring(2, 60000);
  auto a = ev("a");
  ring.push(a, 0);
  EXPECT_EQ(a.use_count(), 2);
  ring.push(ev("b"), 0);
  ring.push(ev("c"), 0);
  EXPECT_EQ(a.use_count(), 1);
}

TEST(ReplayRingTest, LongRunStaysBoundedAndOrdered) {
  ReplayRing ring(50, 60000);
  for (int i = 0; i < 1000; ++i) ring.push(ev(std::to_string(i)), i);
  EXPECT_EQ(ring.size(), 50u);
  ReplayKind kind;
  Ids got = replay(ring, "990", 1000, &kind);
  EXPECT_EQ(kind, ReplayKind::kHit);
  EXPECT_EQ(got, (Ids{"991", "992", "993", "994", "995", "996", "997", "998", "999"}));
  got = replay(ring, "949", 1000, &kind);
  EXPECT_EQ(kind, ReplayKind::kMiss);
  ASSERT_EQ(got.size(), 50u);
  EXPECT_EQ(got.front(), "950");
  EXPECT_EQ(got.back(), "999");
}

}  // namespace
}  // namespace ssegate::channel
