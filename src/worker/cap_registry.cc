#include "worker/cap_registry.h"

#include <functional>

namespace ssegate::worker {

// One taken slot; its destructor gives it back.
class CapRegistry::Slot {
 public:
  Slot(CapRegistry* registry, std::string key) : registry_(registry), key_(std::move(key)) {}
  ~Slot() { registry_->release(key_); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  CapRegistry* registry_;
  std::string key_;
};

CapRegistry::Shard& CapRegistry::shardFor(std::string_view key) {
  return shards_[std::hash<std::string_view>()(key) % kShards];
}

const CapRegistry::Shard& CapRegistry::shardFor(std::string_view key) const {
  return shards_[std::hash<std::string_view>()(key) % kShards];
}

std::shared_ptr<void> CapRegistry::acquire(std::string_view key, uint32_t limit) {
  Shard& shard = shardFor(key);
  std::string k(key);
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    uint32_t& n = shard.counts[k];
    if (limit != 0 && n >= limit) {
      if (n == 0) shard.counts.erase(k);
      return nullptr;
    }
    ++n;
  }
  return std::make_shared<Slot>(this, std::move(k));
}

void CapRegistry::release(const std::string& key) {
  Shard& shard = shardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.counts.find(key);
  if (it == shard.counts.end()) return;  // cannot happen: every Slot was counted once
  if (--it->second == 0) shard.counts.erase(it);
}

uint32_t CapRegistry::count(std::string_view key) const {
  const Shard& shard = shardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.counts.find(std::string(key));
  return it == shard.counts.end() ? 0 : it->second;
}

uint64_t CapRegistry::total() const {
  uint64_t sum = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [k, n] : shard.counts) sum += n;
  }
  return sum;
}

}  // namespace ssegate::worker
