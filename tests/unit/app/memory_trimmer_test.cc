// MemoryTrimmer: trims after a burst of connections, when a smaller one settles, or after a minute
// of trickle, never when quiet. That a trim gives memory back is tested without sanitizers, in
// tests/unit_glibc/memory_trimmer_rss_test.cc.

#include "app/memory_trimmer.h"

#include <gtest/gtest.h>

namespace ssegate::app {
namespace {

TEST(MemoryTrimmerTest, TrimsAfterABurstOrAMinuteOfTrickle) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::atomic<uint64_t> accepted{0};
  MemoryTrimmer t(&loop, &accepted, 1000);
  const uint64_t quiet = MemoryTrimmer::kQuietMs;
  EXPECT_FALSE(t.maybeTrim(quiet)) << "nothing accepted";
  accepted = 3;
  EXPECT_TRUE(t.maybeTrim(quiet)) << "a few, and no trim for a minute";
  EXPECT_FALSE(t.maybeTrim(quiet + 5000));
  accepted = 4;
  EXPECT_FALSE(t.maybeTrim(quiet + 10000)) << "one more, 10 s after the last trim";
  EXPECT_TRUE(t.maybeTrim(2 * quiet)) << "the trickle is a minute old";
  accepted = 4 + MemoryTrimmer::kBurst;
  EXPECT_TRUE(t.maybeTrim(2 * quiet + 5000)) << "a burst trims at once";
  EXPECT_FALSE(t.maybeTrim(2 * quiet + 10000));
  accepted += MemoryTrimmer::kSettled;
  EXPECT_FALSE(t.maybeTrim(2 * quiet + 15000)) << "a small burst, still arriving";
  EXPECT_TRUE(t.maybeTrim(2 * quiet + 20000)) << "it settled: nothing came for an interval";
  t.start();
  t.stop();
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ssegate::app
