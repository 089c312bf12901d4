#include "mux_subscriber.h"

#include "load_generator.h"
#include "mux_connection.h"

namespace loadgen {

MuxSubscriber::MuxSubscriber(LoadGenerator* generator, uint64_t index, uint64_t channel,
                             std::string path, std::shared_ptr<MuxConnection> connection)
    : Subscriber(generator, index, channel, std::move(path)), connection_(std::move(connection)) {}

void MuxSubscriber::connect(const sockaddr_in* source) {
  ++attempts;
  retry_after_close_ = false;
  sse_.reset();
  state_ = State::kConnecting;
  connection_->open(this, source);
}

void MuxSubscriber::close() {
  if (state_ == State::kIdle || state_ == State::kClosing) return;
  state_ = State::kClosing;
  connection_->cancel(this);
  state_ = State::kIdle;
  if (retry_after_close_) generator_->scheduleRetry(this);
}

void MuxSubscriber::onSubmitted() {
  state_ = State::kWaitingHead;
  if (generator_->options().storm) request_us = realtimeUs();  // about to be flushed
}

void MuxSubscriber::onLost(const char* why, int detail) {
  if (state_ == State::kStreaming) {
    end(why);
  } else if (state_ == State::kConnecting) {
    fail(Failure::kConnect, detail);
  } else if (state_ == State::kWaitingHead) {
    fail(Failure::kClosed, detail);
  }
}

}  // namespace loadgen
