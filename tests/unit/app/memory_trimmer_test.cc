// MemoryTrimmer: trims only after new connections, and a trim after a burst of freed small
// blocks (what TLS handshakes leave) gives resident memory back.

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

TEST(MemoryTrimmerTest, TrimsOnlyAfterNewConnections) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::atomic<uint64_t> accepted{0};
  MemoryTrimmer t(&loop, &accepted, 1000);
  EXPECT_FALSE(t.maybeTrim());
  accepted = 3;
  EXPECT_TRUE(t.maybeTrim());
  EXPECT_FALSE(t.maybeTrim());
  accepted = 4;
  EXPECT_TRUE(t.maybeTrim());
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
  ASSERT_TRUE(t.maybeTrim());
  long after = rssKib();
  EXPECT_LT(after, before - 16 * 1024) << "before " << before << " KiB, after " << after;
  for (void* p : blocks) free(p);
  uv_loop_close(&loop);
}

}  // namespace
}  // namespace ssegate::app
