#include "harness/sse_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace ssegate::integration {
namespace {

// The kernel's receive time of the last segment a recvmsg() read (SCM_TIMESTAMPNS, on the
// realtime clock), moved to the steady clock; now when the kernel gave none.
Clock::time_point receivedAt(msghdr& msg) {
  const Clock::time_point now = Clock::now();
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec received{};
    std::memcpy(&received, CMSG_DATA(c), sizeof(received));
    timespec real{};
    ::clock_gettime(CLOCK_REALTIME, &real);
    const int64_t age_ns =
        (real.tv_sec - received.tv_sec) * int64_t{1000000000} + (real.tv_nsec - received.tv_nsec);
    if (age_ns <= 0 || received.tv_sec == 0) return now;
    return now - std::chrono::nanoseconds(age_ns);
  }
  return now;
}

}  // namespace

SseClient::SseClient(uint16_t port, Options options)
    : options_(options), fd_(startConnect(port, options.rcvbuf)), sse_(options.max_event_data) {
  if (!fd_.valid()) {
    connect_failed_ = true;
    markClosed(errno != 0 ? errno : ECONNREFUSED);
    return;
  }
  const int on = 1;
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

void SseClient::get(std::string_view target, const Headers& headers, std::string_view version) {
  std::string request;
  request.append("GET ").append(target).append(" ").append(version).append("\r\n");
  request.append("Host: 127.0.0.1\r\n");
  for (const auto& [name, value] : headers) request.append(name + ": " + value + "\r\n");
  request.append("\r\n");
  sendRaw(request);
}

void SseClient::sendRaw(std::string_view bytes) {
  out_.append(bytes);
  if (!connecting_ && !closed_) writePending();
}

short SseClient::pollEvents() const {
  if (closed_) return 0;
  if (connecting_ || !out_.empty()) return POLLIN | POLLOUT;
  return POLLIN;
}

void SseClient::onPoll(short revents) {
  if (closed_ || revents == 0) return;
  if (connecting_) {
    if (!(revents & (POLLOUT | POLLERR | POLLHUP))) return;
    finishConnect();
    if (closed_) return;
  }
  if (revents & (POLLIN | POLLERR | POLLHUP)) readAvailable();
  if (!closed_ && (revents & POLLOUT) && !out_.empty()) writePending();
}

void SseClient::finishConnect() {
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  connecting_ = false;
  if (err != 0) {
    connect_failed_ = true;
    markClosed(err);
    return;
  }
  writePending();
}

void SseClient::writePending() {
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      // The gateway may close before reading everything (e.g. 431); keep reading what it sent.
      out_.clear();
      return;
    }
  }
}

void SseClient::readAvailable() {
  char buffer[64 * 1024];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  for (;;) {
    iovec iov{buffer, sizeof(buffer)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      markClosed(n == 0 ? 0 : errno);
      return;
    }
    last_read_at_ = receivedAt(msg);
    scratch_.clear();
    response_.feed(std::string_view(buffer, static_cast<size_t>(n)), &scratch_);
    if (!scratch_.empty()) {
      body_bytes_ += scratch_.size();
      if (body_.size() < options_.max_body_bytes) {
        body_.append(scratch_, 0,
                     std::min(scratch_.size(), options_.max_body_bytes - body_.size()));
      }
      sse_.feed(scratch_, last_read_at_);
    }
    if (static_cast<size_t>(n) < sizeof(buffer)) return;
  }
}

void SseClient::markClosed(int error) {
  if (closed_) return;
  closed_ = true;
  close_error_ = error;
  response_.onEof();
  fd_.reset();
}

void SseClient::close() {
  if (!closed_) markClosed(0);
}

bool SseClient::pumpUntil(const std::function<bool()>& done, Millis timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!done()) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0 || closed_) return done();
    pollfd p{fd_.get(), pollEvents(), 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 50)));
    if (rc > 0) onPoll(p.revents);
  }
  return true;
}

bool SseClient::headComplete() const {
  return response_.state() == HttpResponseParser::State::kBody ||
         response_.state() == HttpResponseParser::State::kDone;
}

bool SseClient::waitHead(Millis timeout) {
  return pumpUntil([this] { return headComplete(); }, timeout);
}

bool SseClient::waitEvents(size_t count, Millis timeout) {
  return pumpUntil([&] { return events().size() >= count; }, timeout);
}

bool SseClient::waitComments(size_t count, Millis timeout) {
  return pumpUntil([&] { return sse_.comments().size() >= count; }, timeout);
}

bool SseClient::waitClosed(Millis timeout) {
  return pumpUntil([this] { return closed_; }, timeout);
}

std::string SseClient::describe() const {
  std::ostringstream os;
  os << "status=" << status() << " head=" << (headComplete() ? "yes" : "no")
     << " events=" << events().size() << " comments=" << sse_.comments().size()
     << " body_bytes=" << body_bytes_;
  if (response_.state() == HttpResponseParser::State::kError) {
    os << " parse_error='" << response_.error() << "'";
  }
  if (closed_) {
    os << " closed(" << (close_error_ == 0 ? "eof" : std::strerror(close_error_)) << ")";
  }
  if (connect_failed_) os << " connect_failed";
  if (!body_.empty() && body_.size() < 200) os << " body='" << body_ << "'";
  return os.str();
}

}  // namespace ssegate::integration
