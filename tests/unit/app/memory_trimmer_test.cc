// MemoryTrimmer: trims once a burst of connections settles, every 5 s while a large one goes on,
// after a minute of trickle, never when quiet. That a trim gives memory back is tested without
// sanitizers, in tests/unit_glibc/memory_trimmer_rss_test.cc.

#include "app/memory_trimmer.h"

#include <gtest/gtest.h>

namespace ssegate::app {
namespace {

TEST(MemoryTrimmerTest, TrimsWhenABurstSettlesOrAfterAMinuteOfTrickle) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::atomic<uint64_t> accepted{0};
  MemoryTrimmer t(&loop, &accepted, 1000);
  const uint64_t quiet = MemoryTrimmer::kQuietMs;
  uint64_t now = quiet;
  EXPECT_FALSE(t.maybeTrim(now)) << "nothing accepted";
  accepted = 3;
  EXPECT_TRUE(t.maybeTrim(now)) << "a few, and no trim for a minute";
  EXPECT_FALSE(t.maybeTrim(now += 1000)) << "nothing new";
  accepted = 4;
  EXPECT_FALSE(t.maybeTrim(now += 1000)) << "one more, below kSettled";
  EXPECT_FALSE(t.maybeTrim(now += 1000)) << "settled, still below kSettled";
  EXPECT_TRUE(t.maybeTrim(now = 2 * quiet)) << "the trickle is a minute old";

  // A storm: kBurst per second for 12 s. Trims at most every kBurstGapMs while it goes on.
  int trims = 0;
  for (int second = 1; second <= 12; ++second) {
    accepted += MemoryTrimmer::kBurst;
    if (t.maybeTrim(now += 1000)) ++trims;
  }
  EXPECT_EQ(trims, 2) << "12 s of storm, 5 s apart";
  EXPECT_TRUE(t.maybeTrim(now += 1000)) << "the storm is over: trim within one interval";
  EXPECT_FALSE(t.maybeTrim(now += 1000));

  // A small burst: trimmed as soon as one interval passes without a new connection.
  accepted += MemoryTrimmer::kSettled;
  EXPECT_FALSE(t.maybeTrim(now += 1000)) << "still arriving";
  EXPECT_TRUE(t.maybeTrim(now += 1000)) << "it settled: nothing came for an interval";
  t.start();
  t.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Handshakes that finish after the accepts (a storm's backlog) count like new connections.
TEST(MemoryTrimmerTest, CompletedHandshakesCountAsChurn) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> handshakes{0};
  MemoryTrimmer t(&loop, &accepted, 1000, &handshakes);
  uint64_t now = MemoryTrimmer::kQuietMs;
  accepted = 1000;
  EXPECT_TRUE(t.maybeTrim(now)) << "the accepts";
  handshakes = 600;  // the backlog's handshakes complete afterwards, no new accept
  EXPECT_FALSE(t.maybeTrim(now += 1000)) << "still completing";
  EXPECT_TRUE(t.maybeTrim(now += 1000)) << "the handshakes settled";
  EXPECT_FALSE(t.maybeTrim(now += 1000));
  t.start();
  t.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ssegate::app
