#include "mux_connection.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "load_generator.h"
#include "mux_subscriber.h"

namespace loadgen {
namespace {

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

MuxConnection::MuxConnection(LoadGenerator* generator)
    : generator_(generator),
      tls_mode_(generator->options().tls),
      h2_mode_(generator->options().h2) {}

void MuxConnection::open(MuxSubscriber* stream, const sockaddr_in* source) {
  streams_.push_back(stream);
  switch (state_) {
    case State::kIdle:
      has_source_ = source != nullptr;
      if (has_source_) source_ = *source;
      startConnect();
      break;
    case State::kOpen:
      submit(stream);
      flush();
      break;
    default:  // submitted once open; after kClosing, onClose() reconnects
      break;
  }
}

void MuxConnection::cancel(MuxSubscriber* stream) {
  auto it = std::find(streams_.begin(), streams_.end(), stream);
  if (it != streams_.end()) streams_.erase(it);
  int32_t id = stream->stream_id;
  stream->stream_id = 0;
  if (streams_.empty()) {
    closeSocket();
    return;
  }
  if (state_ == State::kOpen && h2_ && id > 0) {
    h2_->reset(id);
    takeCodecOutput();
    flush();
  }
}

void MuxConnection::startConnect() {
  const Options& options = generator_->options();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int rc = fd_ < 0 ? -errno : 0;
  if (rc == 0) rc = uv_poll_init_socket(generator_->loop(), &poll_, fd_);
  if (rc != 0) {  // no handle to close
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    std::vector<MuxSubscriber*> lost;
    lost.swap(streams_);
    for (MuxSubscriber* stream : lost) stream->onLost("connect failed", rc);
    return;
  }
  poll_.data = this;
  state_ = State::kConnecting;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (has_source_) {
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    if (bind(fd_, reinterpret_cast<const sockaddr*>(&source_), sizeof(source_)) != 0) rc = -errno;
  }
  if (rc == 0 &&
      ::connect(fd_, reinterpret_cast<const sockaddr*>(&options.target), sizeof(options.target)) !=
          0 &&
      errno != EINPROGRESS) {
    rc = -errno;
  }
  if (rc == 0) rc = uv_poll_start(&poll_, UV_WRITABLE, &MuxConnection::onPoll);
  if (rc != 0) lose("connect failed", rc);
}

void MuxConnection::onPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<MuxConnection*>(handle->data);
  if (self->state_ == State::kClosing || self->state_ == State::kIdle) return;
  if (status < 0) {
    self->lose(uv_strerror(status), status);
    return;
  }
  if ((events & UV_WRITABLE) != 0) {
    if (self->state_ == State::kConnecting) {
      self->handleConnected();
    } else {
      self->flush();
    }
  }
  if ((events & UV_READABLE) != 0 && self->state_ != State::kClosing &&
      self->state_ != State::kIdle) {
    self->handleReadable();
  }
}

void MuxConnection::handleConnected() {
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    lose("connect failed", -error);
    return;
  }
  if (!tls_mode_) {
    becomeOpen();
    return;
  }
  state_ = State::kHandshaking;
  const Options& options = generator_->options();
  std::string host = options.host_header.substr(0, options.host_header.rfind(':'));
  tls_ = std::make_unique<TlsClient>(h2_mode_ ? "h2" : "http/1.1", host);
  if (tls_->handshake(&out_) == TlsClient::Status::kError) {
    lose(tls_->lastError().c_str(), 0);
    return;
  }
  flush();
}

void MuxConnection::becomeOpen() {
  state_ = State::kOpen;
  if (h2_mode_) {
    const Options& options = generator_->options();
    h2_ = std::make_unique<Http2Codec>(this, tls_mode_ ? "https" : "http", options.host_header,
                                       options.head_extra, options.h2_window);
    if (!h2_->ok()) {
      lose("nghttp2 session failed", 0);
      return;
    }
    std::vector<MuxSubscriber*> pending = streams_;
    for (MuxSubscriber* stream : pending) {
      if (state_ != State::kOpen) return;
      submit(stream);
    }
  } else if (!streams_.empty()) {
    submit(streams_.front());
  }
  flush();
}

void MuxConnection::submit(MuxSubscriber* stream) {
  if (h2_mode_) {
    int32_t id = h2_->submit(stream->path(), stream, stream->last_event_id);
    if (id < 0) {
      stream->onLost("HTTP/2 submit failed", id);
      return;
    }
    stream->stream_id = id;
    stream->onSubmitted();
    takeCodecOutput();
  } else {
    std::string request = stream->http1Codec()->request();
    stream->onSubmitted();
    write(request);
  }
}

void MuxConnection::handleReadable() {
  for (int reads = 0; reads < 32; ++reads) {
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
      lose(n == 0 ? "closed by server" : uv_strerror(-errno), n == 0 ? UV_EOF : -errno);
      return;
    }
    generator_->onBytes(static_cast<size_t>(n), receiveTimeUs(&message));
    if (tls_) {
      plain_.clear();
      bool was_open = state_ == State::kOpen;
      TlsClient::Status status = tls_->feed(buf.base, static_cast<size_t>(n), &plain_, &out_);
      if (status == TlsClient::Status::kError) {
        lose(tls_->lastError().c_str(), 0);
        return;
      }
      if (!was_open && status == TlsClient::Status::kOpen) {
        std::string_view want = h2_mode_ ? "h2" : "http/1.1";
        std::string_view got = tls_->alpnSelected();
        if (h2_mode_ && got != want) {
          lose("the server did not select h2 through ALPN", 0);
          return;
        }
        becomeOpen();
      }
      if (state_ == State::kOpen && !plain_.empty()) deliver(plain_.data(), plain_.size());
      if (state_ == State::kHandshaking || state_ == State::kOpen) flush();
    } else {
      deliver(buf.base, static_cast<size_t>(n));
    }
    if (state_ != State::kOpen && state_ != State::kHandshaking) return;
    if (static_cast<size_t>(n) < buf.len) return;
  }
}

void MuxConnection::deliver(const char* data, size_t size) {
  if (h2_mode_) {
    if (h2_->feed(data, size) == StreamCodec::Result::kError) {
      lose("HTTP/2 session error", 0);
      return;
    }
    if (state_ != State::kOpen) return;
    takeCodecOutput();
    if (h2_->done()) {
      lose("HTTP/2 session ended (GOAWAY)", 0);
      return;
    }
    flush();
    return;
  }
  if (streams_.empty()) return;
  MuxSubscriber* stream = streams_.front();
  if (stream->http1Codec()->feed(data, size) == StreamCodec::Result::kError &&
      state_ == State::kOpen && !streams_.empty()) {
    lose("bad HTTP framing", 0);
  }
}

void MuxConnection::onStreamClosed(CodecListener* listener, uint32_t error_code) {
  auto* stream = static_cast<MuxSubscriber*>(static_cast<Subscriber*>(listener));
  stream->stream_id = 0;
  stream->onLost(error_code == 0 ? "stream closed by server" : "stream reset by server",
                 static_cast<int>(error_code));
}

void MuxConnection::write(std::string_view plain) {
  if (tls_) {
    if (!tls_->write(plain, &out_)) lose(tls_->lastError().c_str(), 0);
  } else {
    out_.append(plain);
  }
}

void MuxConnection::takeCodecOutput() {
  if (!h2_) return;
  if (tls_) {
    std::string frames;
    if (!h2_->takeOutput(&frames)) {
      lose("HTTP/2 session error", 0);
      return;
    }
    if (!frames.empty()) write(frames);
  } else if (!h2_->takeOutput(&out_)) {
    lose("HTTP/2 session error", 0);
  }
}

void MuxConnection::flush() {
  if (state_ == State::kClosing || state_ == State::kIdle || state_ == State::kConnecting) return;
  size_t sent = 0;
  while (sent < out_.size()) {
    ssize_t n = send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) break;
      out_.erase(0, sent);
      lose(uv_strerror(-errno), -errno);
      return;
    }
    sent += static_cast<size_t>(n);
  }
  out_.erase(0, sent);
  // Cheap when the events do not change (libuv compares before touching epoll).
  uv_poll_start(&poll_, UV_READABLE | (out_.empty() ? 0 : UV_WRITABLE), &MuxConnection::onPoll);
}

void MuxConnection::lose(const char* why, int detail) {
  closeSocket();
  std::vector<MuxSubscriber*> lost;
  lost.swap(streams_);
  for (MuxSubscriber* stream : lost) {
    stream->stream_id = 0;
    stream->onLost(why, detail);
  }
}

void MuxConnection::closeSocket() {
  if (state_ == State::kIdle || state_ == State::kClosing) return;
  state_ = State::kClosing;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &MuxConnection::onClose);
}

void MuxConnection::onClose(uv_handle_t* handle) {
  auto* self = static_cast<MuxConnection*>(handle->data);
  ::close(self->fd_);
  self->fd_ = -1;
  self->h2_.reset();
  self->tls_.reset();
  self->out_.clear();
  self->state_ = State::kIdle;
  if (!self->streams_.empty()) self->startConnect();  // streams opened again while closing
}

}  // namespace loadgen
