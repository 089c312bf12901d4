// Histogram: a log-linear histogram of non-negative integers (HdrHistogram-like layout).
//
// Values below 256 have their own bucket; above, each power of two is split into 128 equal
// buckets, so every bucket's width is under 0.8% of its values, from 0 to 2^64. Percentiles are
// reported as the bucket's highest value (never below the truth), capped at the exact maximum.
// Not thread-safe; merge() combines histograms from several processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 8;
  static constexpr size_t kBuckets = (64 - kSubBits + 2) * (size_t{1} << (kSubBits - 1));

  Histogram();

  void record(uint64_t value);
  void merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const;
  // The smallest bucket bound at or below which lies `percent` percent of the values; 0 if empty.
  uint64_t percentile(double percent) const;

  // "count max sum idx:n idx:n ..." with only the non-empty buckets.
  std::string serialize() const;
  bool parse(std::string_view text);

  static size_t bucketOf(uint64_t value);
  static uint64_t lowestOf(size_t bucket);
  static uint64_t highestOf(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace loadgen
