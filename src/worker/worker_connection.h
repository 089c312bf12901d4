// WorkerConnection: what a worker knows of every downstream connection it owns: flush once per
// loop turn when dirty, a periodic sweep (keepalive, timeouts, slow-subscriber limits), and a
// way to close everything at shutdown.
//
// Thread: the worker's loop. The connection registers itself with Worker::addConnection() and
// must call Worker::removeConnection() before it is deleted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ssegate::config {
struct Config;
}

namespace ssegate::worker {

class WorkerConnection {
 public:
  virtual ~WorkerConnection() = default;
  // Write what is queued (called at most once per loop turn per dirty connection).
  virtual void flush() = 0;
  // Periodic check at the worker's sweep interval.
  virtual void onSweep(int64_t now_ms) = 0;
  // The worker is stopping: close now.
  virtual void shutdown() = 0;
  // Graceful drain: end the stream (with a jittered retry: so the client reconnects elsewhere)
  // at `deadline_ms` (loop time), or at once if it carries no stream.
  virtual void drainAt(int64_t deadline_ms) = 0;
  // A new configuration is live: a stream whose route is gone drains at `deadline_ms`.
  virtual void onReload(const config::Config& config, int64_t deadline_ms) = 0;

 private:
  friend class Worker;
  WorkerConnection* prev_ = nullptr;
  WorkerConnection* next_ = nullptr;
  size_t dirty_slot_ = SIZE_MAX;  // index in the worker's dirty list, SIZE_MAX when clean
};

}  // namespace ssegate::worker
