#include "harness/sse_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace ssegate::integration {

SseClient::SseClient(uint16_t port, Options options)
    : options_(options), fd_(startConnect(port, options.rcvbuf)), sse_(options.max_event_data) {
  if (!fd_.valid()) {
    connect_failed_ = true;
    markClosed(errno != 0 ? errno : ECONNREFUSED);
  }
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
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      markClosed(n == 0 ? 0 : errno);
      return;
    }
    last_read_at_ = Clock::now();
    scratch_.clear();
    response_.feed(std::string_view(buffer, static_cast<size_t>(n)), &scratch_);
    if (!scratch_.empty()) {
      body_bytes_ += scratch_.size();
      if (body_.size() < options_.max_body_bytes) {
        body_.append(scratch_, 0,
                     std::min(scratch_.size(), options_.max_body_bytes - body_.size()));
      }
      sse_.feed(scratch_);
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
