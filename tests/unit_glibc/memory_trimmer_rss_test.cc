// MemoryTrimmer against glibc malloc itself: a trim after a burst of freed small blocks (what TLS
// handshakes leave between long-lived connection objects) gives resident memory back. Built and
// run without sanitizers (tests/CMakeLists.txt: unit_glibc_malloc), also in the sanitizer build
// that `make test` uses: AddressSanitizer replaces malloc, and there would be nothing to measure.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/memory_trimmer.h"

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

// 64 MiB of 1000-byte blocks; of every 16 the first 12 are freed (what handshakes leave between
// connections). The 12 KB holes stay resident until a trim gives their whole pages back.
TEST(MemoryTrimmerTest, TrimReturnsFreedHoles) {
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
