#include "base/mailbox.h"

namespace ssegate {

void Mailbox::open(uv_loop_t* loop, std::function<void()> on_batch_end) {
  on_batch_end_ = std::move(on_batch_end);
  uv_async_init(loop, &async_, &Mailbox::onAsync);
  async_.data = this;
  std::lock_guard<std::mutex> lock(mu_);
  open_ = true;
  if (!queue_.empty()) uv_async_send(&async_);
}

void Mailbox::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    open_ = false;
    queue_.clear();
  }
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&async_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
}

void Mailbox::post(Task task) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    wake = open_ && queue_.empty();
    queue_.push_back(std::move(task));
  }
  // uv_async_send coalesces; one wake-up per empty->non-empty transition is enough.
  if (wake) uv_async_send(&async_);
}

void Mailbox::onAsync(uv_async_t* handle) {
  static_cast<Mailbox*>(handle->data)->drain();
}

void Mailbox::drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch_.swap(queue_);
  }
  for (auto& task : batch_) {
    task();
    if (closed_) break;  // a task closed the mailbox: the rest of the batch is dropped too
  }
  batch_.clear();
  if (!closed_ && on_batch_end_) on_batch_end_();
}

}  // namespace ssegate
