// SharedState: the few process-wide counters that every worker reads and writes (DESIGN B2:
// per-user caps and connection totals are the one global state). Atomics, and the cap registry
// (its own locking); owned by the Gateway, which outlives every worker.
#pragma once

#include <atomic>
#include <cstdint>

#include "worker/cap_registry.h"

namespace ssegate::worker {

struct SharedState {
  std::atomic<int64_t> connections{0};  // all downstream connections, for limits.max_connections
  std::atomic<bool> draining{false};
  std::atomic<bool> ready{false};  // listeners bound and serving
  CapRegistry caps;                // per-user / per-route / per-IP stream counts
};

}  // namespace ssegate::worker
