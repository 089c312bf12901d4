// CapRegistry: the process-wide connection counts behind limits.max_connections_per_user, the
// routes' max_connections_per_user and limits.max_connections_per_ip (DESIGN A3, B2: per-user caps
// are the one global counter). Every worker and every protocol (HTTP/1.1 connections, HTTP/2
// streams) takes its slots here, so a cap holds across all of them.
//
// A key is an opaque string chosen by the caller ("u:<user>", "r:<route>\n<user>", "i:<ip>").
// acquire() checks and increments under one shard's mutex, so of N+1 simultaneous attempts
// against a cap of N exactly N succeed. The returned Slot releases its count exactly once, when
// the last reference to it goes away; entries at zero are erased, so the map holds only keys with
// live streams.
//
// Thread-safe: 64 mutex-guarded shards keyed by the key's hash. Owned by SharedState (the
// Gateway), which outlives every worker and therefore every slot.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ssegate::worker {

class CapRegistry {
 public:
  CapRegistry() = default;
  CapRegistry(const CapRegistry&) = delete;
  CapRegistry& operator=(const CapRegistry&) = delete;

  // Takes one slot for `key` if fewer than `limit` are taken (limit 0 = unlimited, still counted).
  // nullptr when the cap is reached. The slot must not outlive the registry.
  std::shared_ptr<void> acquire(std::string_view key, uint32_t limit);

  // Live slots for `key` (0 when none).
  uint32_t count(std::string_view key) const;
  // Live slots over every key (for tests and leak checks; takes every shard's lock).
  uint64_t total() const;

 private:
  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, uint32_t> counts;  // guarded by mu; no zero entries
  };
  class Slot;

  Shard& shardFor(std::string_view key);
  const Shard& shardFor(std::string_view key) const;
  void release(const std::string& key);

  std::array<Shard, kShards> shards_;
};

}  // namespace ssegate::worker
