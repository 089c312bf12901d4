#include "histogram.h"

#include <bit>
#include <charconv>
#include <cmath>

namespace loadgen {
namespace {

constexpr uint64_t kLinear = uint64_t{1} << Histogram::kSubBits;  // values with own buckets
constexpr uint64_t kHalf = kLinear / 2;                           // buckets per power of two

bool parseNumber(std::string_view* text, char stop, uint64_t* out) {
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *out);
  if (ec != std::errc()) return false;
  text->remove_prefix(end - text->data());
  if (!text->empty() && text->front() == stop) text->remove_prefix(1);
  return true;
}

}  // namespace

Histogram::Histogram() : counts_(kBuckets, 0) {}

size_t Histogram::bucketOf(uint64_t value) {
  if (value < kLinear) return static_cast<size_t>(value);
  int shift = std::bit_width(value) - kSubBits;
  return static_cast<size_t>(shift * kHalf + (value >> shift));
}

uint64_t Histogram::lowestOf(size_t bucket) {
  if (bucket < kLinear) return bucket;
  int shift = static_cast<int>(bucket / kHalf) - 1;
  return (bucket % kHalf + kHalf) << shift;
}

uint64_t Histogram::highestOf(size_t bucket) {
  if (bucket < kLinear) return bucket;
  int shift = static_cast<int>(bucket / kHalf) - 1;
  return lowestOf(bucket) + ((uint64_t{1} << shift) - 1);
}

void Histogram::record(uint64_t value) {
  ++counts_[bucketOf(value)];
  ++count_;
  sum_ += static_cast<double>(value);
  if (value > max_) max_ = value;
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.max_ > max_) max_ = other.max_;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

uint64_t Histogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return highestOf(i) < max_ ? highestOf(i) : max_;
  }
  return max_;
}

std::string Histogram::serialize() const {
  std::string out = std::to_string(count_) + " " + std::to_string(max_) + " " +
                    std::to_string(static_cast<uint64_t>(sum_));
  for (size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) out += " " + std::to_string(i) + ":" + std::to_string(counts_[i]);
  }
  return out;
}

bool Histogram::parse(std::string_view text) {
  uint64_t sum = 0;
  if (!parseNumber(&text, ' ', &count_) || !parseNumber(&text, ' ', &max_) ||
      !parseNumber(&text, ' ', &sum)) {
    return false;
  }
  sum_ = static_cast<double>(sum);
  while (!text.empty()) {
    uint64_t bucket = 0;
    uint64_t n = 0;
    if (!parseNumber(&text, ':', &bucket) || !parseNumber(&text, ' ', &n) || bucket >= kBuckets) {
      return false;
    }
    counts_[bucket] += n;
  }
  return true;
}

}  // namespace loadgen
