#include "worker/shared_state.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ssegate::worker {
namespace {

TEST(SharedStateTest, AdmitCountsEveryConnectionAndReleaseUndoesIt) {
  SharedState s;
  EXPECT_TRUE(s.admitConnection(2));
  EXPECT_TRUE(s.admitConnection(2));
  EXPECT_FALSE(s.admitConnection(2));  // over the limit, but counted until it closes
  EXPECT_EQ(s.connections.load(), 3);
  s.releaseConnection();  // the rejected one closes
  EXPECT_FALSE(s.admitConnection(2));
  s.releaseConnection();
  s.releaseConnection();  // an admitted one closes: its slot is free again
  EXPECT_TRUE(s.admitConnection(2));
  s.releaseConnection();
  s.releaseConnection();
  EXPECT_EQ(s.connections.load(), 0);
}

// Two workers accepting at the same moment for the last slot: exactly one gets it, every time.
// (A check-then-add admitted both now and then: 46 streams for 45 slots in the flood test. With
// that implementation put back, this test failed in 3 of 5 runs; the window is a few instructions.)
TEST(SharedStateTest, TwoWorkersRacingForTheLastSlotAdmitExactlyOne) {
  constexpr int kRounds = 100000;
  constexpr int64_t kMax = 10;
  SharedState s;
  std::atomic<int> go{-1};   // the round both workers may start
  std::atomic<int> done{0};  // admissions tried, over all rounds
  std::atomic<int> admitted[2] = {0, 0};
  auto worker = [&](int id) {
    for (int r = 0; r < kRounds; ++r) {
      while (go.load(std::memory_order_acquire) != r) std::this_thread::yield();
      admitted[id].store(s.admitConnection(kMax) ? 1 : 0, std::memory_order_relaxed);
      done.fetch_add(1, std::memory_order_release);
    }
  };
  std::thread a(worker, 0);
  std::thread b(worker, 1);
  int wrong_rounds = 0;
  for (int r = 0; r < kRounds; ++r) {
    s.connections.store(kMax - 1);  // one slot left
    go.store(r, std::memory_order_release);
    while (done.load(std::memory_order_acquire) < 2 * (r + 1)) std::this_thread::yield();
    if (admitted[0].load() + admitted[1].load() != 1) ++wrong_rounds;
    EXPECT_EQ(s.connections.load(), kMax + 1);  // both counted, the loser until it closes
  }
  a.join();
  b.join();
  EXPECT_EQ(wrong_rounds, 0) << "rounds in which the last slot went to both workers or neither";
}

}  // namespace
}  // namespace ssegate::worker
