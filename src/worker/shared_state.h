// SharedState: the few process-wide counters that every worker reads and writes (DESIGN B2:
// per-user caps and connection totals are the one global state). Atomics, and the cap registry
// (its own locking); owned by the Gateway, which outlives every worker.
#pragma once

#include <atomic>
#include <cstdint>

#include "worker/cap_registry.h"

namespace ssegate::worker {

struct SharedState {
  // All open downstream connections (rejected ones too, until they close), for
  // limits.max_connections. Counted once at accept by admitConnection(); whoever owns the
  // connection when it closes calls releaseConnection() exactly once.
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> accepted{0};  // every connection ever admitted or refused
  std::atomic<bool> draining{false};
  std::atomic<bool> ready{false};  // listeners bound and serving
  CapRegistry caps;                // per-user / per-route / per-IP stream counts

  // Counts a newly accepted connection and says whether it fits under `max`. The reservation
  // is one atomic read-modify-write, so workers accepting at the same moment can never admit
  // more than `max` between them (a load-then-add could).
  bool admitConnection(int64_t max) {
    accepted.fetch_add(1, std::memory_order_relaxed);
    return connections.fetch_add(1, std::memory_order_relaxed) < max;
  }
  void releaseConnection() { connections.fetch_sub(1, std::memory_order_relaxed); }
};

}  // namespace ssegate::worker
