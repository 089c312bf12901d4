// Mailbox: the one cross-thread path into a loop (DESIGN B2). Any thread posts a task; the
// owning loop runs the tasks in FIFO order, in batches, on its own thread.
//
// Owner: the object that owns the loop (Worker, Hub). open() and close() run on the loop
// thread; post() is safe from any thread, also before open() (tasks wait) and after close()
// (tasks are dropped: the loop is going away). After each batch the optional batch-end
// callback runs, which is where a worker flushes its dirty connections once per turn.
#pragma once

#include <uv.h>

#include <functional>
#include <mutex>
#include <vector>

namespace ssegate {

class Mailbox {
 public:
  using Task = std::function<void()>;

  Mailbox() = default;
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // REQUIRES: on the loop thread, once.
  void open(uv_loop_t* loop, std::function<void()> on_batch_end = nullptr);
  // REQUIRES: on the loop thread. Pending tasks are dropped; the handle is uv_close()d.
  void close();

  void post(Task task);

 private:
  static void onAsync(uv_async_t* handle);
  void drain();

  uv_async_t async_{};
  std::function<void()> on_batch_end_;
  std::mutex mu_;
  std::vector<Task> queue_;  // guarded by mu_
  bool open_ = false;        // guarded by mu_
  bool closed_ = false;      // guarded by mu_; written only on the loop thread
  std::vector<Task> batch_;  // loop thread only; swapped with queue_
};

}  // namespace ssegate
