#include "downstream/http2_stream.h"

#include "downstream/http2_connection.h"

namespace ssegate::downstream {

void Http2Stream::onSubscribeResult(worker::SubscribeResult&& result) {
  conn_.onStreamSubscribed(*this, std::move(result));
}

void Http2Stream::onEvents(const worker::EventBatch& events) {
  conn_.onStreamEvents(*this, events);
}

void Http2Stream::onChannelFinal(int status) {
  conn_.onStreamChannelFinal(*this, status);
}

void Http2Stream::push(const channel::EncodedEventPtr& frame) {
  size_t n = frame->payload().size();
  if (n == 0) return;
  pending_.push_back(Pending{frame, 0});
  pending_bytes_ += n;
  access.bytes += n;
}

void Http2Stream::clearPending() {
  pending_.clear();
  pending_.shrink_to_fit();
  pending_head_ = 0;
  pending_bytes_ = 0;
}

void Http2Stream::dropSent() {
  constexpr size_t kKeptSlots = 4;  // an idle stream's usual batch: no allocation per event
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
    if (pending_.capacity() > kKeptSlots) pending_.shrink_to_fit();
  } else if (pending_head_ >= 64 && pending_head_ * 2 >= pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

}  // namespace ssegate::downstream
