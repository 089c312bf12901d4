// Http2Stream: one request stream of an HTTP/2 connection; while it streams it is one
// worker::Subscription. It holds the request head as it arrives, the admission and cap slot, and
// the DATA not yet sent: references to shared encoded events, never copies.
//
// State: kReadingHead --HEADERS complete--> kAdmitting --admitted--> kAwaitingChannel
//        --hub answers 200--> kStreaming --origin final / drain / expiry--> kEnding (END_STREAM
//        after the pending bytes). Any error answer: kEnding with a one-line body. The stream is
//        deleted by its connection when nghttp2 closes it (also on RST_STREAM from the client).
// Thread: the connection's worker loop. Owner: its Http2Connection (by stream id).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "channel/encoded_event.h"
#include "downstream/access_log.h"
#include "downstream/stream_request.h"
#include "worker/subscription.h"

namespace ssegate::config {
struct Route;
}

namespace ssegate::downstream {

class Http2Connection;

class Http2Stream final : public worker::Subscription {
 public:
  enum class State { kReadingHead, kAdmitting, kAwaitingChannel, kStreaming, kEnding };

  Http2Stream(Http2Connection& conn, int32_t id) : conn_(conn), id_(id) {}
  Http2Stream(const Http2Stream&) = delete;
  Http2Stream& operator=(const Http2Stream&) = delete;

  // Subscription: forwarded to the connection, which owns the protocol.
  void onSubscribeResult(worker::SubscribeResult&& result) override;
  void onEvents(const worker::EventBatch& events) override;
  void onChannelFinal(int status) override;

  int32_t id() const { return id_; }
  State state() const { return state_; }
  void setState(State s) { state_ = s; }

  // --- pending DATA (what nghttp2's data provider reads) ---
  void push(const channel::EncodedEventPtr& frame);
  size_t pendingBytes() const { return pending_bytes_; }
  // Hands the first n pending bytes to `sink(owner, bytes)`, in order. REQUIRES n <= pending.
  template <typename Sink>
  void pop(size_t n, Sink&& sink);
  void clearPending();
  // END_STREAM after the pending bytes.
  bool eof() const { return eof_; }
  void setEof() { eof_ = true; }
  // The data provider returned DEFERRED: new bytes must resume it.
  bool deferred() const { return deferred_; }
  void setDeferred(bool d) { deferred_ = d; }

  // Request head, while kReadingHead.
  StreamRequest request;
  size_t head_bytes = 0;
  bool head_too_large = false;
  bool head_bad = false;
  // Admission and subscription.
  std::shared_ptr<void> admission;
  std::shared_ptr<void> slot;
  const config::Route* route = nullptr;
  std::string response_headers;  // "Name: value\r\n" lines from admission
  bool counted = false;          // counted in ssegate_subscriptions
  int64_t last_send_ms = 0;
  int64_t drain_at_ms = 0;                // 0 = not draining
  const char* drain_reason = "draining";  // why the stream ends at drain_at_ms
  // The access log line, written once when the stream ends; push() counts its bytes.
  AccessRecord access;

 private:
  // Frees the slots of sent events (all of them when none is left).
  void dropSent();

  struct Pending {
    channel::EncodedEventPtr frame;
    size_t offset;
  };
  Http2Connection& conn_;
  int32_t id_;
  State state_ = State::kReadingHead;
  // Not yet sent: [pending_head_, end). A vector, not a deque: an idle stream keeps at most a
  // few slots (a deque keeps 576 bytes, and there can be 100 streams per connection).
  std::vector<Pending> pending_;
  size_t pending_head_ = 0;
  size_t pending_bytes_ = 0;
  bool eof_ = false;
  bool deferred_ = false;
};

template <typename Sink>
void Http2Stream::pop(size_t n, Sink&& sink) {
  while (n > 0 && pending_head_ < pending_.size()) {
    Pending& p = pending_[pending_head_];
    std::string_view bytes = p.frame->payload().substr(p.offset);
    size_t take = bytes.size() < n ? bytes.size() : n;
    sink(p.frame, bytes.substr(0, take));
    n -= take;
    pending_bytes_ -= take;
    if (take == bytes.size()) {
      p.frame.reset();
      ++pending_head_;
    } else {
      p.offset += take;
    }
  }
  dropSent();
}

}  // namespace ssegate::downstream
