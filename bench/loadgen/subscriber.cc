#include "subscriber.h"

#include <netinet/in.h>

#include "load_generator.h"

namespace loadgen {

Subscriber::Subscriber(LoadGenerator* generator, uint64_t index, uint64_t channel, std::string path)
    : generator_(generator),
      index_(index),
      channel_(channel),
      codec_(this, generator->options().host_header, std::move(path),
             &generator->options().head_extra),
      sse_(this) {}

void Subscriber::connect(const sockaddr_in* source) {
  ++attempts;
  retry_after_close_ = false;
  sse_.reset();
  int rc = uv_tcp_init_ex(generator_->loop(), &tcp_, AF_INET);
  if (rc != 0) {  // no handle to close (e.g. EMFILE): report and maybe retry directly
    if (generator_->onFailure(*this, Failure::kConnect, rc)) generator_->scheduleRetry(this);
    return;
  }
  tcp_.data = this;
  state_ = State::kConnecting;
  if (source != nullptr) {
    // Defer the port choice to connect(), so a port is unique per 4-tuple, not per source IP.
    uv_os_fd_t fd;
    int one = 1;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) {
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    }
    rc = uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(source), 0);
  }
  if (rc == 0) {
    rc = uv_tcp_connect(&connect_req_, &tcp_,
                        reinterpret_cast<const sockaddr*>(&generator_->options().target),
                        &Subscriber::onConnect);
  }
  if (rc != 0) fail(Failure::kConnect, rc);
}

void Subscriber::onConnect(uv_connect_t* req, int status) {
  static_cast<Subscriber*>(req->handle->data)->handleConnect(status);
}

void Subscriber::handleConnect(int status) {
  if (state_ != State::kConnecting) return;  // closed meanwhile (UV_ECANCELED)
  if (status < 0) {
    fail(Failure::kConnect, status);
    return;
  }
  state_ = State::kWaitingHead;
  request_ = codec_.request();
  uv_buf_t buf = uv_buf_init(request_.data(), static_cast<unsigned>(request_.size()));
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  int rc = uv_write(&write_req_, stream, &buf, 1, &Subscriber::onWrite);
  if (rc == 0) rc = uv_read_start(stream, &Subscriber::onAlloc, &Subscriber::onRead);
  if (rc != 0) fail(Failure::kClosed, rc);
}

void Subscriber::onWrite(uv_write_t* req, int status) {
  auto* self = static_cast<Subscriber*>(req->handle->data);
  if (status < 0 && self->state_ == State::kWaitingHead) self->fail(Failure::kClosed, status);
}

void Subscriber::onAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  *buf = static_cast<Subscriber*>(handle->data)->generator_->readBuffer();
}

void Subscriber::onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<Subscriber*>(stream->data)->handleRead(nread, buf);
}

void Subscriber::handleRead(ssize_t nread, const uv_buf_t* buf) {
  if (state_ != State::kWaitingHead && state_ != State::kStreaming) return;
  if (nread < 0) {
    if (state_ == State::kStreaming) {
      end(nread == UV_EOF ? "closed by server" : uv_strerror(static_cast<int>(nread)));
    } else {
      fail(Failure::kClosed, static_cast<int>(nread));
    }
    return;
  }
  generator_->onBytes(static_cast<size_t>(nread));
  StreamCodec::Result result = codec_.feed(buf->base, static_cast<size_t>(nread));
  if (result == StreamCodec::Result::kError && state_ != State::kClosing) {
    if (state_ == State::kStreaming) {
      end("bad HTTP framing");
    } else {
      fail(Failure::kClosed, 0);
    }
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

void Subscriber::onEvent(std::string_view, std::string_view data) {
  generator_->onEvent(*this, data);
}

void Subscriber::fail(Failure failure, int detail) {
  retry_after_close_ = generator_->onFailure(*this, failure, detail);
  close();
}

void Subscriber::end(const char* why) {
  generator_->onDisconnected(*this, why);
  close();
}

void Subscriber::close() {
  if (state_ == State::kIdle || state_ == State::kClosing) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Subscriber::onClose);
}

void Subscriber::onClose(uv_handle_t* handle) {
  auto* self = static_cast<Subscriber*>(handle->data);
  self->state_ = State::kIdle;
  if (self->retry_after_close_) self->generator_->scheduleRetry(self);
}

}  // namespace loadgen
