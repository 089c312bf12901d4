#include "upstream/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace ssegate::upstream {
namespace {

// next() must lie in [delay/2, delay] for the un-jittered delay `delay`.
void expectInRange(int64_t got, int64_t delay, int attempt) {
  EXPECT_GE(got, delay / 2) << "attempt " << attempt << " nominal " << delay;
  EXPECT_LE(got, delay) << "attempt " << attempt << " nominal " << delay;
}

TEST(BackoffTest, ExponentialGrowthCappedAtMax) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Backoff b(100, 1000, seed);
    const int64_t nominal[] = {100, 200, 400, 800, 1000, 1000, 1000, 1000};
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(b.attempts(), i);
      expectInRange(b.next(), nominal[i], i);
    }
    EXPECT_EQ(b.attempts(), 8);
  }
}

TEST(BackoffTest, DoublesEachAttemptUpToMax) {
  Backoff b(1000, 8000, 1);
  int64_t a0 = b.next();
  int64_t a1 = b.next();
  int64_t a2 = b.next();
  int64_t a3 = b.next();
  expectInRange(a0, 1000, 0);
  expectInRange(a1, 2000, 1);
  expectInRange(a2, 4000, 2);
  expectInRange(a3, 8000, 3);
}

TEST(BackoffTest, JitterSpreadsAcrossTheWholeRange) {
  std::set<int64_t> values;
  int64_t lo = INT64_MAX;
  int64_t hi = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    Backoff b(1000, 60000, seed);
    int64_t v = b.next();
    expectInRange(v, 1000, 0);
    values.insert(v);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // Equal jitter: not a constant, and covering most of [500, 1000].
  EXPECT_GT(values.size(), 100u);
  EXPECT_LT(lo, 560);
  EXPECT_GT(hi, 940);
}

TEST(BackoffTest, SameSeedSameSequence) {
  Backoff a(50, 5000, 1234);
  Backoff b(50, 5000, 1234);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(BackoffTest, ResetStartsAgainFromTheBase) {
  Backoff b(100, 10000, 7);
  for (int i = 0; i < 6; ++i) b.next();
  EXPECT_EQ(b.attempts(), 6);
  b.reset();
  EXPECT_EQ(b.attempts(), 0);
  expectInRange(b.next(), 100, 0);
  expectInRange(b.next(), 200, 1);
}

TEST(BackoffTest, OriginRetryReplacesTheBase) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff b(100, 10000, seed);
    b.setOriginRetry(500);
    expectInRange(b.next(), 500, 0);
    expectInRange(b.next(), 1000, 1);
    expectInRange(b.next(), 2000, 2);
  }
}

TEST(BackoffTest, OriginRetrySetMidwayKeepsAttemptCount) {
  Backoff b(100, 100000, 3);
  b.next();  // 100
  b.next();  // 200
  b.setOriginRetry(1000);
  expectInRange(b.next(), 4000, 2);
  b.reset();
  expectInRange(b.next(), 1000, 0);
}

TEST(BackoffTest, OriginRetrySmallerThanInitialIsHonoured) {
  Backoff b(5000, 60000, 9);
  b.setOriginRetry(40);
  expectInRange(b.next(), 40, 0);
  expectInRange(b.next(), 80, 1);
}

TEST(BackoffTest, OriginRetryAboveMaxIsHonouredWithoutGrowth) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff b(100, 1000, seed);
    b.setOriginRetry(5000);
    for (int i = 0; i < 5; ++i) expectInRange(b.next(), 5000, i);
  }
}

TEST(BackoffTest, FloorOfTenMilliseconds) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff zero_initial(0, 1000, seed);
    expectInRange(zero_initial.next(), 10, 0);
    expectInRange(zero_initial.next(), 20, 1);

    Backoff zero_retry(500, 1000, seed);
    zero_retry.setOriginRetry(0);
    int64_t v = zero_retry.next();
    expectInRange(v, 10, 0);
    EXPECT_GE(v, 5);

    Backoff tiny(1, 1000, seed);
    expectInRange(tiny.next(), 10, 0);
  }
}

TEST(BackoffTest, NeverReturnsZeroOrNegative) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    Backoff b(0, 0, seed);
    b.setOriginRetry(0);
    for (int i = 0; i < 5; ++i) EXPECT_GT(b.next(), 0);
  }
}

TEST(BackoffTest, HugeOriginRetryBoundedToOneHour) {
  constexpr int64_t kHour = 3600 * 1000;
  for (int64_t retry : {kHour, kHour + 1, int64_t{10} * kHour, int64_t{1} << 40, INT64_MAX}) {
    Backoff b(100, 30000, 11);
    b.setOriginRetry(retry);
    for (int i = 0; i < 4; ++i) expectInRange(b.next(), kHour, i);
  }
}

TEST(BackoffTest, ManyAttemptsStayAtCap) {
  Backoff b(1000, 30000, 5);
  for (int i = 0; i < 5; ++i) b.next();
  for (int i = 5; i < 5000; ++i) expectInRange(b.next(), 30000, i);
}

TEST(BackoffTest, NegativeOriginRetryMeansNone) {
  Backoff b(300, 10000, 2);
  b.setOriginRetry(-1);
  expectInRange(b.next(), 300, 0);
}

}  // namespace
}  // namespace ssegate::upstream
