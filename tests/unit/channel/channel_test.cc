#include "channel/channel.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "channel/sse_encoder.h"
#include "channel/sse_parser.h"

namespace ssegate::channel {
namespace {

SseEvent withId(std::string id, std::string data, std::string type = "") {
  SseEvent e;
  e.id = std::move(id);
  e.has_id = true;
  e.type = std::move(type);
  e.data = std::move(data);
  return e;
}

SseEvent noId(std::string data) {
  SseEvent e;
  e.data = std::move(data);
  return e;
}

class Collector : public SseParser::Handler {
 public:
  void onEvent(SseEvent&& event) override { events.push_back(std::move(event)); }
  void onRetry(uint64_t) override { ++retries; }
  void onComment(std::string_view) override { ++comments; }
  std::vector<SseEvent> events;
  int retries = 0;
  int comments = 0;
};

// Parses one encoded payload back; expects exactly one event and nothing else.
SseEvent parseBack(const EncodedEvent& encoded) {
  SseParser parser;
  Collector c;
  parser.feed(encoded.payload(), c);
  EXPECT_EQ(c.events.size(), 1u) << encoded.payload();
  EXPECT_EQ(c.retries, 0);
  EXPECT_EQ(c.comments, 0);
  EXPECT_EQ(parser.bufferedBytes(), 0u) << "trailing bytes after the event";
  return c.events.empty() ? SseEvent{} : c.events[0];
}

std::vector<std::string> ids(const std::vector<EncodedEventPtr>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e->id());
  return out;
}

using Ids = std::vector<std::string>;

TEST(ChannelTest, KeyAndInitialState) {
  Channel ch("app\n/stream/a", 10, 60000, 1);
  EXPECT_EQ(ch.key(), "app\n/stream/a");
  EXPECT_EQ(ch.lastEventId(), "");
  EXPECT_EQ(ch.eventsReceived(), 0u);
  EXPECT_EQ(ch.duplicatesDropped(), 0u);
  EXPECT_EQ(ch.ringSize(), 0u);
}

TEST(ChannelTest, OriginIdsAreKept) {
  Channel ch("k", 10, 60000, 1);
  auto e = ch.onOriginEvent(withId("42", "hello", "greeting"), 0, 1000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id(), "42");
  EXPECT_EQ(e->seq(), 1u);
  EXPECT_EQ(e->receivedUs(), 1000);
  EXPECT_EQ(ch.lastEventId(), "42");
  EXPECT_EQ(ch.eventsReceived(), 1u);
  EXPECT_EQ(ch.ringSize(), 1u);
  EXPECT_EQ(parseBack(*e), withId("42", "hello", "greeting"));
}

TEST(ChannelTest, EncodedPayloadIsTheCanonicalEncoding) {
  Channel ch("k", 10, 60000, 7);
  std::vector<SseEvent> inputs = {
      withId("1", "a\nb\n\nc", "update"),
      withId("2", ""),
      withId("3", " leading space", " typed"),
      withId("id with spaces \xc3\xa9", "unicode \xe2\x9c\x93"),
      withId("5", "line1\n"),
  };
  for (const SseEvent& in : inputs) {
    SseEvent copy = in;
    auto e = ch.onOriginEvent(std::move(copy), 0, 0);
    ASSERT_NE(e, nullptr);
    std::string canonical;
    appendEvent(in, &canonical);
    EXPECT_EQ(e->payload(), canonical);
    EXPECT_EQ(parseBack(*e), in);
    // The chunked framing wraps exactly that payload.
    EXPECT_EQ(e->chunked().substr(e->chunked().size() - 2), "\r\n");
  }
}

TEST(ChannelTest, SeqIncrementsPerEvent) {
  Channel ch("k", 10, 60000, 1);
  for (uint64_t i = 1; i <= 5; ++i) {
    auto e = ch.onOriginEvent(withId("o" + std::to_string(i), "x"), 0, 0);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->seq(), i);
  }
  EXPECT_EQ(ch.eventsReceived(), 5u);
}

TEST(ChannelTest, GatewayIdsForEventsWithoutId) {
  Channel ch("k", 100, 60000, 0xabc);
  std::set<std::string> seen;
  std::string prefix;
  for (int i = 0; i < 20; ++i) {
    auto e = ch.onOriginEvent(noId("d" + std::to_string(i)), 0, 0);
    ASSERT_NE(e, nullptr);
    const std::string& id = e->id();
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(seen.insert(id).second) << "duplicate gateway id " << id;
    EXPECT_EQ(ch.lastEventId(), id);
    // The id is on the wire, so a subscriber's EventSource can resume from it.
    SseEvent back = parseBack(*e);
    EXPECT_TRUE(back.has_id);
    EXPECT_EQ(back.id, id);
    EXPECT_EQ(back.data, "d" + std::to_string(i));
    // A stable per-epoch prefix followed by something that changes per event.
    size_t dash = id.rfind('-');
    ASSERT_NE(dash, std::string::npos) << id;
    if (prefix.empty()) prefix = id.substr(0, dash + 1);
    EXPECT_EQ(id.substr(0, prefix.size()), prefix);
    EXPECT_EQ(id.find_first_of(std::string_view("\r\n\0", 3)), std::string::npos);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(ChannelTest, GatewayIdPrefixDiffersByEpoch) {
  Channel a("k", 10, 60000, 1);
  Channel b("k", 10, 60000, 2);
  Channel c("k", 10, 60000, 0x10);
  auto ea = a.onOriginEvent(noId("x"), 0, 0);
  auto eb = b.onOriginEvent(noId("x"), 0, 0);
  auto ec = c.onOriginEvent(noId("x"), 0, 0);
  EXPECT_NE(ea->id(), eb->id());
  EXPECT_NE(ea->id(), ec->id());
  EXPECT_NE(eb->id(), ec->id());
  // Same epoch, same position: the same id (stable across identical channels).
  Channel a2("k", 10, 60000, 1);
  EXPECT_EQ(a2.onOriginEvent(noId("y"), 0, 0)->id(), ea->id());
}

TEST(ChannelTest, StaleGatewayIdFromOtherEpochIsAMiss) {
  Channel old_instance("k", 10, 60000, 1);
  std::string stale = old_instance.onOriginEvent(noId("x"), 0, 0)->id();
  Channel ch("k", 10, 60000, 2);
  for (int i = 0; i < 3; ++i) ch.onOriginEvent(noId("x"), 0, 0);
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay(stale, 0, &out), ReplayKind::kMiss);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ChannelTest, EmptyOriginIdGetsAGatewayId) {
  Channel ch("k", 10, 60000, 1);
  auto e = ch.onOriginEvent(withId("", "x"), 0, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->id().empty());
  EXPECT_EQ(parseBack(*e).id, e->id());
}

TEST(ChannelTest, GatewayIdsAreResumable) {
  Channel ch("k", 10, 60000, 5);
  std::vector<std::string> assigned;
  for (int i = 0; i < 4; ++i) assigned.push_back(ch.onOriginEvent(noId("x"), 0, 0)->id());
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay(assigned[1], 0, &out), ReplayKind::kHit);
  EXPECT_EQ(ids(out), (Ids{assigned[2], assigned[3]}));
}

TEST(ChannelTest, MixedOriginAndGatewayIdsReplayInOrder) {
  Channel ch("k", 10, 60000, 5);
  ch.onOriginEvent(withId("a", "1"), 0, 0);
  std::string g = ch.onOriginEvent(noId("2"), 0, 0)->id();
  ch.onOriginEvent(withId("b", "3"), 0, 0);
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay("a", 0, &out), ReplayKind::kHit);
  EXPECT_EQ(ids(out), (Ids{g, "b"}));
  out.clear();
  EXPECT_EQ(ch.replay("", 0, &out), ReplayKind::kNone);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(ch.replay("nope", 0, &out), ReplayKind::kMiss);
  EXPECT_EQ(ids(out), (Ids{"a", g, "b"}));
}

TEST(ChannelTest, ReplayRespectsMaxEventsAndMaxAge) {
  Channel ch("k", 2, 1000, 1);
  ch.onOriginEvent(withId("a", "x"), 0, 0);
  ch.onOriginEvent(withId("b", "x"), 0, 0);
  ch.onOriginEvent(withId("c", "x"), 500, 0);
  EXPECT_EQ(ch.ringSize(), 2u);
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay("a", 500, &out), ReplayKind::kMiss);
  EXPECT_EQ(ids(out), (Ids{"b", "c"}));
  out.clear();
  EXPECT_EQ(ch.replay("b", 1200, &out), ReplayKind::kMiss);  // "b" aged out
  EXPECT_EQ(ids(out), (Ids{"c"}));
}

TEST(ChannelTest, NoDedupWithoutReconnect) {
  Channel ch("k", 10, 60000, 1);
  ASSERT_NE(ch.onOriginEvent(withId("a", "1"), 0, 0), nullptr);
  // The origin may legitimately reuse an id on the same stream: delivered.
  ASSERT_NE(ch.onOriginEvent(withId("a", "2"), 0, 0), nullptr);
  EXPECT_EQ(ch.duplicatesDropped(), 0u);
  EXPECT_EQ(ch.eventsReceived(), 2u);
}

TEST(ChannelTest, ReconnectDropsRepeatsUntilFirstNewId) {
  Channel ch("k", 10, 60000, 1);
  for (const char* id : {"1", "2", "3"}) ASSERT_NE(ch.onOriginEvent(withId(id, id), 0, 0), nullptr);
  ch.upstreamReconnected();
  // The origin replays from an earlier point: repeats are dropped.
  EXPECT_EQ(ch.onOriginEvent(withId("2", "2"), 0, 0), nullptr);
  EXPECT_EQ(ch.onOriginEvent(withId("3", "3"), 0, 0), nullptr);
  EXPECT_EQ(ch.duplicatesDropped(), 2u);
  EXPECT_EQ(ch.eventsReceived(), 3u);
  EXPECT_EQ(ch.lastEventId(), "3");
  // First new id: delivered, with the next seq (drops do not consume seq numbers).
  auto e4 = ch.onOriginEvent(withId("4", "4"), 0, 0);
  ASSERT_NE(e4, nullptr);
  EXPECT_EQ(e4->seq(), 4u);
  EXPECT_EQ(ch.lastEventId(), "4");
  // From now on no more dedup: an id already in the ring is delivered.
  auto again = ch.onOriginEvent(withId("2", "2 again"), 0, 0);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->seq(), 5u);
  EXPECT_EQ(ch.duplicatesDropped(), 2u);
  EXPECT_EQ(ch.eventsReceived(), 5u);
  // The ring holds each delivered event once; dropped repeats were not pushed.
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay("1", 0, &out), ReplayKind::kHit);
  EXPECT_EQ(ids(out), (Ids{"2", "3", "4", "2"}));
}

TEST(ChannelTest, ReconnectEventWithoutIdEndsDedup) {
  Channel ch("k", 10, 60000, 1);
  ch.onOriginEvent(withId("1", "1"), 0, 0);
  ch.upstreamReconnected();
  auto e = ch.onOriginEvent(noId("fresh"), 0, 0);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->id().empty());
  EXPECT_NE(ch.onOriginEvent(withId("1", "1"), 0, 0), nullptr);
  EXPECT_EQ(ch.duplicatesDropped(), 0u);
}

TEST(ChannelTest, ReconnectWithNothingRepeatedDeliversEverything) {
  Channel ch("k", 10, 60000, 1);
  ch.onOriginEvent(withId("1", "1"), 0, 0);
  ch.upstreamReconnected();
  EXPECT_NE(ch.onOriginEvent(withId("2", "2"), 0, 0), nullptr);
  EXPECT_NE(ch.onOriginEvent(withId("1", "1"), 0, 0), nullptr);
  EXPECT_EQ(ch.duplicatesDropped(), 0u);
}

TEST(ChannelTest, SecondReconnectReArmsDedup) {
  Channel ch("k", 10, 60000, 1);
  ch.onOriginEvent(withId("1", "1"), 0, 0);
  ch.upstreamReconnected();
  EXPECT_EQ(ch.onOriginEvent(withId("1", "1"), 0, 0), nullptr);
  EXPECT_NE(ch.onOriginEvent(withId("2", "2"), 0, 0), nullptr);
  ch.upstreamReconnected();
  EXPECT_EQ(ch.onOriginEvent(withId("1", "1"), 0, 0), nullptr);
  EXPECT_EQ(ch.onOriginEvent(withId("2", "2"), 0, 0), nullptr);
  EXPECT_NE(ch.onOriginEvent(withId("3", "3"), 0, 0), nullptr);
  EXPECT_EQ(ch.duplicatesDropped(), 3u);
  EXPECT_EQ(ch.eventsReceived(), 3u);
}

TEST(ChannelTest, RingDisabledStillAssignsIdsAndNeverDedups) {
  Channel ch("k", 0, 60000, 1);
  auto a = ch.onOriginEvent(noId("x"), 0, 0);
  auto b = ch.onOriginEvent(noId("y"), 0, 0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(ch.ringSize(), 0u);
  ch.upstreamReconnected();
  EXPECT_NE(ch.onOriginEvent(withId("o", "z"), 0, 0), nullptr);
  std::vector<EncodedEventPtr> out;
  EXPECT_EQ(ch.replay(a->id(), 0, &out), ReplayKind::kMiss);
  EXPECT_TRUE(out.empty());
}

TEST(ChannelTest, ScratchBufferDoesNotLeakBetweenEvents) {
  Channel ch("k", 10, 60000, 1);
  auto big = ch.onOriginEvent(withId("1", std::string(1000, 'x')), 0, 0);
  auto small = ch.onOriginEvent(withId("2", "y"), 0, 0);
  EXPECT_EQ(small->payload(), "id: 2\ndata: y\n\n");
  // The first event's bytes are unchanged by the reuse of the encode buffer.
  EXPECT_EQ(parseBack(*big).data, std::string(1000, 'x'));
}

}  // namespace
}  // namespace ssegate::channel
