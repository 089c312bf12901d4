// MemoryTrimmer: trims after a burst of connections, when a smaller one settles, or after a minute
// of trickle, never when quiet; a trim after a burst of freed small blocks (what TLS handshakes
// leave) gives resident memory back.

#include "app/memory_trimmer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ssegate::app {
namespace {

long rssKib() {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f != nullptr && fgets(line, sizeof(line), f) != nullptr) {
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, nullptr, 10);
  }
  if (f != nullptr) fclose(f);
  return kib;
}

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

// 64 MiB of 1000-byte blocks; of every 16 the first 12 are freed (what handshakes leave between
// connections). The 12 KB holes stay resident until a trim gives their whole pages back.
TEST(MemoryTrimmerTest, TrimReturnsFreedHoles) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizer allocators are not glibc malloc";
#endif
  std::vector<void*> blocks;
  for (int i = 0; i < 64 * 1024; ++i) {
    void* p = malloc(1000);
    memset(p, 1, 1000);
    blocks.push_back(p);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i % 16 < 12) {
      free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  long before = rssKib();
  std::atomic<uint64_t> accepted{1};
  uv_loop_t loop;
  uv_loop_init(&loop);
  MemoryTrimmer t(&loop, &accepted, 1000);
  ASSERT_TRUE(t.maybeTrim(MemoryTrimmer::kQuietMs));
  long after = rssKib();
  EXPECT_LT(after, before - 16 * 1024) << "before " << before << " KiB, after " << after;
  for (void* p : blocks) free(p);
  uv_loop_close(&loop);
}

}  // namespace
}  // namespace ssegate::app
