#include "harness/fake_origin.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>

namespace ssegate::integration {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

constexpr char kStreamPrefix[] = "/stream/";

}  // namespace

FakeOrigin::FakeOrigin(Options options) : options_(options) {}

FakeOrigin::~FakeOrigin() {
  stop();
}

bool FakeOrigin::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return true;
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener.valid()) return false;
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  socklen_t len = sizeof(addr);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener.get(), 1024) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("FakeOrigin::start");
    return false;
  }
  port_ = ntohs(addr.sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  wake_read_.reset(pipe_fds[0]);
  wake_write_.reset(pipe_fds[1]);
  listener_ = std::move(listener);
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  return true;
}

void FakeOrigin::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  wake();
  thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : connections_) {
    if (c->head_done) --stats_[c->path].open;
    if (c->streaming) --stats_[c->path].open_streams;
    closeWithReset(c->fd.release());
  }
  connections_.clear();
  listener_.reset();
  wake_read_.reset();
  wake_write_.reset();
}

void FakeOrigin::wake() {
  if (!wake_write_.valid()) return;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &byte, 1);  // full pipe: already awake
}

void FakeOrigin::run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fds.clear();
      fds.push_back({wake_read_.get(), POLLIN, 0});
      fds.push_back({listener_.get(), POLLIN, 0});
      for (auto& c : connections_) {
        fds.push_back(
            {c->fd.get(), static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
      }
    }
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) break;
    std::lock_guard<std::mutex> lock(mutex_);
    if (fds[0].revents & POLLIN) {
      char drain[256];
      while (::read(wake_read_.get(), drain, sizeof(drain)) > 0) {
      }
    }
    // connections_ is only changed by this thread (and by stop() after the join), so the
    // snapshot indices are still valid; new connections are appended after them.
    const size_t polled = fds.size() - 2;
    for (size_t i = 0; i < polled; ++i) {
      Connection& c = *connections_[i];
      if (!c.fd.valid()) continue;
      if (fds[i + 2].revents & (POLLIN | POLLERR | POLLHUP)) onReadable(c);
    }
    // Flush everything pending: replies to new heads and events published meanwhile.
    for (auto& c : connections_) {
      if (c->fd.valid() && (!c->out.empty() || c->close_after_write)) flush(*c);
    }
    if (fds[1].revents & POLLIN) acceptAll();
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const auto& c) { return !c->fd.valid(); }),
                       connections_.end());
  }
}

void FakeOrigin::acceptAll() {
  for (;;) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Connection>();
    c->fd.reset(fd);
    connections_.push_back(std::move(c));
  }
}

void FakeOrigin::onReadable(Connection& c) {
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::recv(c.fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) return closeConnection(c, /*by_peer=*/true);
    if (c.head_done) continue;  // the gateway sends nothing after the head; ignore it
    c.in.append(buffer, static_cast<size_t>(n));
    if (c.in.find("\r\n\r\n") != std::string::npos) {
      onHead(c);
      if (!c.fd.valid()) return;
    } else if (c.in.size() > 64 * 1024) {
      return closeConnection(c, /*by_peer=*/false);
    }
  }
}

void FakeOrigin::onHead(Connection& c) {
  c.head_done = true;
  Request request;
  request.at = Clock::now();
  const std::string head = c.in.substr(0, c.in.find("\r\n\r\n"));
  size_t pos = head.find("\r\n");
  const std::string request_line = head.substr(0, pos);
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = request_line.rfind(' ');
  if (sp1 != std::string::npos && sp2 > sp1) {
    request.method = request_line.substr(0, sp1);
    request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    request.version = request_line.substr(sp2 + 1);
  }
  while (pos != std::string::npos) {
    const size_t start = pos + 2;
    pos = head.find("\r\n", start);
    const std::string line = head.substr(start, pos == std::string::npos ? pos : pos - start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      request.headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
    }
  }
  c.path = request.target.substr(0, request.target.find('?'));
  PathStats& stats = stats_[c.path];
  ++stats.accepted;
  ++stats.open;
  stats.requests.push_back(request);

  const auto status_it = status_override_.find(c.path);
  int status = status_it != status_override_.end() ? status_it->second : 200;
  const bool is_stream = c.path.rfind(kStreamPrefix, 0) == 0 && c.path.size() > 8;
  if (status == 200 && !is_stream) status = 404;
  if (status == 200 && request.method != "GET") status = 405;
  if (status != 200) {
    const std::string body = std::string(reason(status)) + "\n";
    c.out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
            "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + (status == 204 ? "" : body);
    if (status == 204) {
      c.out = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    }
    c.close_after_write = true;
    return;
  }
  c.channel = c.path.substr(sizeof(kStreamPrefix) - 1);
  const auto ct_it = content_type_override_.find(c.path);
  const std::string content_type =
      ct_it != content_type_override_.end() ? ct_it->second : "text/event-stream";
  c.streaming = content_type == "text/event-stream";
  if (c.streaming) ++stats.open_streams;
  c.out = "HTTP/1.1 200 OK\r\nContent-Type: " + content_type + "\r\nCache-Control: no-cache\r\n";
  c.out += options_.chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Connection: close\r\n\r\n";

  const auto& history = history_[c.channel];
  auto from = history.end();
  const auto last_id = request.headers.find("last-event-id");
  if (last_id != request.headers.end()) {
    auto found = std::find_if(history.begin(), history.end(),
                              [&](const StoredEvent& e) { return e.id == last_id->second; });
    from = found == history.end() ? history.begin() : found + 1;
  } else if (options_.replay_without_last_event_id) {
    from = history.begin();
  }
  const auto script_it = scripts_.find(c.path);
  if (script_it != scripts_.end()) {
    if (!script_it->second.greeting.empty()) c.out += frame(script_it->second.greeting);
    if (script_it->second.close_after_greeting) {
      c.close_after_write = true;
      return;
    }
  }
  if (!c.streaming) return;
  for (auto it = from; it != history.end(); ++it) c.out += frame(it->wire);
}

void FakeOrigin::flush(Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      return closeConnection(c, /*by_peer=*/true);
    }
  }
  if (c.close_after_write) closeConnection(c, /*by_peer=*/false);
}

void FakeOrigin::closeConnection(Connection& c, bool by_peer) {
  if (!c.fd.valid()) return;
  if (c.head_done) {
    PathStats& stats = stats_[c.path];
    --stats.open;
    if (c.streaming) --stats.open_streams;
    if (by_peer) stats.last_peer_close = Clock::now();
  }
  c.fd.reset();
}

std::string FakeOrigin::frame(const std::string& bytes) const {
  if (!options_.chunked) return bytes;
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  return size + bytes + "\r\n";
}

std::string FakeOrigin::encode(const std::string& id, const std::string& data,
                               const std::string& event_type) {
  std::string wire;
  if (!id.empty()) wire += "id: " + id + "\n";
  if (!event_type.empty()) wire += "event: " + event_type + "\n";
  size_t start = 0;
  for (;;) {
    const size_t nl = data.find('\n', start);
    wire += "data: " + data.substr(start, nl == std::string::npos ? nl : nl - start) + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return wire + "\n";
}

void FakeOrigin::publish(const std::string& channel, const std::string& id, const std::string& data,
                         const std::string& event_type) {
  std::lock_guard<std::mutex> lock(mutex_);
  StoredEvent event{id, encode(id, data, event_type)};
  const std::string framed = frame(event.wire);
  history_[channel].push_back(std::move(event));
  for (auto& c : connections_) {
    if (c->fd.valid() && c->streaming && c->channel == channel) c->out += framed;
  }
  wake();
}

void FakeOrigin::publishRaw(const std::string& channel, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string framed = frame(bytes);
  for (auto& c : connections_) {
    if (c->fd.valid() && c->streaming && c->channel == channel) c->out += framed;
  }
  wake();
}

void FakeOrigin::writeUnframed(const std::string& channel, const std::string& bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : connections_) {
    if (c->fd.valid() && c->streaming && c->channel == channel) c->out += bytes;
  }
  wake();
}

void FakeOrigin::closeStreams(const std::string& channel) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : connections_) {
    if (c->fd.valid() && c->streaming && c->channel == channel) c->close_after_write = true;
  }
  wake();
}

void FakeOrigin::setScript(const std::string& path, Script script) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (script.greeting.empty() && !script.close_after_greeting)
    scripts_.erase(path);
  else
    scripts_[path] = std::move(script);
}

void FakeOrigin::setStatus(const std::string& path, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (status == 0)
    status_override_.erase(path);
  else
    status_override_[path] = status;
}

void FakeOrigin::setContentType(const std::string& path, const std::string& content_type) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (content_type.empty())
    content_type_override_.erase(path);
  else
    content_type_override_[path] = content_type;
}

size_t FakeOrigin::acceptedCount(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = stats_.find(path);
  return it == stats_.end() ? 0 : it->second.accepted;
}

size_t FakeOrigin::openCount(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = stats_.find(path);
  return it == stats_.end() ? 0 : it->second.open;
}

size_t FakeOrigin::openStreams(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = stats_.find(path);
  return it == stats_.end() ? 0 : it->second.open_streams;
}

size_t FakeOrigin::totalAccepted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t total = 0;
  for (const auto& [path, stats] : stats_) total += stats.accepted;
  return total;
}

std::vector<FakeOrigin::Request> FakeOrigin::requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = stats_.find(path);
  return it == stats_.end() ? std::vector<Request>{} : it->second.requests;
}

std::optional<Clock::time_point> FakeOrigin::lastPeerCloseAt(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = stats_.find(path);
  return it == stats_.end() ? std::nullopt : it->second.last_peer_close;
}

bool FakeOrigin::waitOpenCount(const std::string& path, size_t count, Millis timeout) const {
  return waitUntil([&] { return openCount(path) == count; }, timeout);
}

bool FakeOrigin::waitOpenStreams(const std::string& path, size_t count, Millis timeout) const {
  return waitUntil([&] { return openStreams(path) == count; }, timeout);
}

bool FakeOrigin::waitAcceptedCount(const std::string& path, size_t count, Millis timeout) const {
  return waitUntil([&] { return acceptedCount(path) >= count; }, timeout);
}

}  // namespace ssegate::integration
