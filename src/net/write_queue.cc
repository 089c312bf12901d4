#include "net/write_queue.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "base/metrics.h"

namespace ssegate::net {

namespace {
constexpr size_t kMaxIov = 64;

// A non-blocking write of `iov` straight to a TCP socket: send()/sendmsg() go to the socket
// without the VFS write path that uv_try_write's write()/writev() take. Same contract as
// uv_try_write: bytes written, or UV_EAGAIN, or a libuv error. Other streams use uv_try_write.
int trySend(uv_stream_t* stream, uv_buf_t* iov, size_t n) {
  uv_os_fd_t fd;
  if (stream->type != UV_TCP || uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd) != 0) {
    return uv_try_write(stream, iov, static_cast<unsigned>(n));
  }
  if (stream->write_queue_size != 0) return UV_EAGAIN;  // libuv still writes: keep the order
  static_assert(sizeof(uv_buf_t) == sizeof(iovec), "uv_buf_t is iovec-compatible on Unix");
  ssize_t r;
  do {
    if (n == 1) {
      r = ::send(fd, iov[0].base, iov[0].len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } else {
      msghdr msg{};
      msg.msg_iov = reinterpret_cast<iovec*>(iov);
      msg.msg_iovlen = n;
      r = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  } while (r < 0 && errno == EINTR);
  if (r >= 0) return static_cast<int>(r);
  return errno == EAGAIN || errno == EWOULDBLOCK ? UV_EAGAIN : uv_translate_sys_error(errno);
}

}  // namespace

void WriteQueue::append(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (bytes.empty()) return;
  segments_.push_back(Segment{std::move(owner), bytes.data(), bytes.size()});
  bytes_ += bytes.size();
}

void WriteQueue::appendCopy(std::string_view bytes) {
  if (bytes.empty()) return;
  auto copy = std::make_shared<std::string>(bytes);
  std::string_view view(*copy);
  append(std::move(copy), view);
}

int WriteQueue::flush(uv_stream_t* stream, void* owner, DoneFn done) {
  if (in_flight_ > 0) return 0;
  uv_buf_t iov[kMaxIov];
  auto fill = [&](size_t* total) {
    size_t n = 0;
    *total = 0;
    for (size_t i = head_; i < segments_.size() && n < kMaxIov; ++i, ++n) {
      const Segment& s = segments_[i];
      size_t skip = (i == head_) ? head_offset_ : 0;
      iov[n] = uv_buf_init(const_cast<char*>(s.data + skip), static_cast<unsigned>(s.size - skip));
      *total += s.size - skip;
    }
    return n;
  };
  while (bytes_ > 0) {
    size_t total = 0;
    size_t n = fill(&total);
    int r = trySend(stream, iov, n);
    if (r > 0) {
      consume(static_cast<size_t>(r));
      if (static_cast<size_t>(r) < total) break;  // socket buffer full
      continue;
    }
    if (r == UV_EAGAIN || r == UV_ENOSYS) break;
    return r;
  }
  if (bytes_ == 0) return 0;
  size_t total = 0;
  size_t n = fill(&total);
  if (!req_) req_ = std::make_unique<WriteReq>();
  req_->queue = this;
  req_->owner = owner;
  req_->done = done;
  req_->req.data = req_.get();
  int r = uv_write(&req_->req, stream, iov, static_cast<unsigned>(n), &WriteQueue::onWrite);
  if (r != 0) return r;
  in_flight_ = total;
  return 0;
}

std::string_view WriteQueue::front() const {
  if (head_ >= segments_.size()) return {};
  const Segment& s = segments_[head_];
  return std::string_view(s.data + head_offset_, s.size - head_offset_);
}

void WriteQueue::onWrite(uv_write_t* req, int status) {
  auto* wr = static_cast<WriteReq*>(req->data);
  WriteQueue* q = wr->queue;
  size_t n = q->in_flight_;
  q->in_flight_ = 0;
  if (status == 0 && n <= q->bytes_) q->consume(n);
  wr->done(wr->owner, status);
}

void WriteQueue::consume(size_t n) {
  bytes_ -= n;
  if (count_sent_) metrics().bytes_sent.fetch_add(n, std::memory_order_relaxed);
  while (n > 0 && head_ < segments_.size()) {
    Segment& s = segments_[head_];
    size_t left = s.size - head_offset_;
    if (n < left) {
      head_offset_ += n;
      return;
    }
    n -= left;
    s.owner.reset();
    ++head_;
    head_offset_ = 0;
  }
  if (head_ == segments_.size()) {
    segments_.clear();
    head_ = 0;
    // An idle subscriber should not keep a burst's worth of segment slots.
    if (segments_.capacity() > 32) segments_.shrink_to_fit();
  } else if (head_ >= 64 && head_ * 2 >= segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(head_));
    head_ = 0;
  }
}

void WriteQueue::clear() {
  segments_.clear();
  segments_.shrink_to_fit();
  head_ = 0;
  head_offset_ = 0;
  bytes_ = 0;
  in_flight_ = 0;  // a completion that still arrives must not consume what is gone
}

}  // namespace ssegate::net
