#include "subscriber.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <time.h>

#include <cstring>

#include "load_generator.h"

namespace loadgen {
namespace {

// The kernel receive time of the data just read, from the SCM_TIMESTAMPNS control message.
int64_t receiveTimeUs(msghdr* message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr; c = CMSG_NXTHDR(message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
    }
  }
  return 0;
}

}  // namespace

int64_t realtimeUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

Subscriber::Subscriber(LoadGenerator* generator, uint64_t index, uint64_t channel, std::string path)
    : generator_(generator),
      codec_(this, generator->options().host_header, std::move(path),
             &generator->options().head_extra),
      sse_(this),
      index_(index),
      channel_(channel) {
  codec_.setLastEventId(&last_event_id);
}

void Subscriber::connect(const sockaddr_in* source) {
  ++attempts;
  retry_after_close_ = false;
  sse_.reset();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {  // no handle to close (e.g. EMFILE): report and maybe retry directly
    if (generator_->onFailure(*this, Failure::kConnect, -errno)) generator_->scheduleRetry(this);
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (int rc = uv_poll_init_socket(generator_->loop(), &poll_, fd_); rc != 0) {
    ::close(fd_);
    fd_ = -1;
    if (generator_->onFailure(*this, Failure::kConnect, rc)) generator_->scheduleRetry(this);
    return;
  }
  poll_.data = this;
  state_ = State::kConnecting;
  int rc = 0;
  if (source != nullptr) {
    // Defer the port choice to connect(), so a port is unique per 4-tuple, not per source IP.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<const sockaddr*>(source), sizeof(*source)) != 0) rc = -errno;
  }
  const sockaddr_in& target = generator_->options().target;
  if (rc == 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0 &&
      errno != EINPROGRESS) {
    rc = -errno;
  }
  if (rc == 0) rc = uv_poll_start(&poll_, UV_WRITABLE, &Subscriber::onPoll);
  if (rc != 0) fail(Failure::kConnect, rc);
}

void Subscriber::onPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Subscriber*>(handle->data);
  if (status < 0) {
    if (self->state_ == State::kStreaming) {
      self->end(uv_strerror(status));
    } else if (self->state_ != State::kClosing) {
      self->fail(self->state_ == State::kConnecting ? Failure::kConnect : Failure::kClosed, status);
    }
    return;
  }
  if ((events & UV_WRITABLE) != 0) self->handleWritable();
  if ((events & UV_READABLE) != 0) self->handleReadable();
}

void Subscriber::handleWritable() {
  if (state_ == State::kConnecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      fail(Failure::kConnect, -error);
      return;
    }
    state_ = State::kWaitingHead;
    request_ = codec_.request();
    request_sent_ = 0;
  }
  if (state_ != State::kWaitingHead && state_ != State::kStreaming) return;
  while (request_sent_ < request_.size()) {
    ssize_t n =
        send(fd_, request_.data() + request_sent_, request_.size() - request_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return;  // still polling for UV_WRITABLE
      fail(Failure::kClosed, -errno);
      return;
    }
    request_sent_ += static_cast<size_t>(n);
  }
  if (generator_->options().storm) request_us = realtimeUs();
  uv_poll_start(&poll_, UV_READABLE, &Subscriber::onPoll);
}

void Subscriber::handleReadable() {
  // Like libuv: read until the kernel has less than a buffer's worth left.
  for (int reads = 0; reads < 32; ++reads) {
    if (state_ != State::kWaitingHead && state_ != State::kStreaming) return;
    uv_buf_t buf = generator_->readBuffer();
    iovec iov{buf.base, buf.len};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd_, &message, 0);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      int error = n == 0 ? UV_EOF : -errno;
      if (state_ == State::kStreaming) {
        end(n == 0 ? "closed by server" : uv_strerror(error));
      } else {
        fail(Failure::kClosed, error);
      }
      return;
    }
    generator_->onBytes(static_cast<size_t>(n), receiveTimeUs(&message));
    StreamCodec::Result result = codec_.feed(buf.base, static_cast<size_t>(n));
    if (result == StreamCodec::Result::kError && state_ != State::kClosing) {
      if (state_ == State::kStreaming) {
        end("bad HTTP framing");
      } else {
        fail(Failure::kClosed, 0);
      }
      return;
    }
    if (static_cast<size_t>(n) < buf.len) return;
  }
}

bool Subscriber::onResponseHead(int status) {
  if (status != 200) {
    fail(Failure::kStatus, status);
    return false;
  }
  state_ = State::kStreaming;
  generator_->onConnected(*this);
  return true;
}

void Subscriber::onBody(const char* data, size_t size) {
  if (!generator_->options().idle) sse_.feed(data, size);
}

void Subscriber::onEvent(std::string_view id, std::string_view data) {
  if (generator_->options().storm && !id.empty()) last_event_id.assign(id);
  generator_->onEvent(*this, data);
}

void Subscriber::fail(Failure failure, int detail) {
  retry_after_close_ = generator_->onFailure(*this, failure, detail);
  close();
}

void Subscriber::end(const char* why) {
  retry_after_close_ = generator_->onDisconnected(*this, why);
  close();
}

void Subscriber::close() {
  if (state_ == State::kIdle || state_ == State::kClosing) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &Subscriber::onClose);
}

void Subscriber::onClose(uv_handle_t* handle) {
  auto* self = static_cast<Subscriber*>(handle->data);
  ::close(self->fd_);
  self->fd_ = -1;
  self->state_ = State::kIdle;
  if (self->retry_after_close_) self->generator_->scheduleRetry(self);
}

}  // namespace loadgen
