#include "harness/auth_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace ssegate::integration {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}
}  // namespace

AuthServer::~AuthServer() {
  stop();
}

bool AuthServer::start() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  listener_.reset(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
  if (::listen(fd, 512) != 0) return false;
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  setNonBlocking(fd);
  thread_ = std::thread([this] { run(); });
  return true;
}

void AuthServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  listener_.reset();
}

void AuthServer::setPolicy(Policy policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_ = std::move(policy);
}

size_t AuthServer::requestCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

std::vector<AuthServer::Request> AuthServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void AuthServer::run() {
  std::vector<std::unique_ptr<Connection>> conns;
  while (!stopping_) {
    std::vector<pollfd> fds;
    fds.push_back({listener_.get(), POLLIN, 0});
    for (auto& c : conns) {
      fds.push_back({c->fd.get(), static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT)), 0});
    }
    if (::poll(fds.data(), fds.size(), 20) < 0) continue;
    if (fds[0].revents & POLLIN) {
      for (;;) {
        int fd = ::accept(listener_.get(), nullptr, nullptr);
        if (fd < 0) break;
        setNonBlocking(fd);
        auto c = std::make_unique<Connection>();
        c->fd.reset(fd);
        conns.push_back(std::move(c));
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      Connection& c = *conns[i - 1];
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        ssize_t n = ::read(c.fd.get(), buf, sizeof(buf));
        if (n <= 0) {
          c.fd.reset();
          continue;
        }
        c.in.append(buf, static_cast<size_t>(n));
        if (!c.answered && c.in.find("\r\n\r\n") != std::string::npos) onHead(c);
      }
      if (c.fd.valid() && !c.out.empty() && (fds[i].revents & POLLOUT)) {
        ssize_t n = ::write(c.fd.get(), c.out.data(), c.out.size());
        if (n > 0) c.out.erase(0, static_cast<size_t>(n));
        if (c.out.empty()) c.fd.reset();  // Connection: close
      }
    }
    conns.erase(std::remove_if(conns.begin(), conns.end(),
                               [](const std::unique_ptr<Connection>& c) { return !c->fd.valid(); }),
                conns.end());
  }
}

void AuthServer::onHead(Connection& c) {
  c.answered = true;
  Request req;
  const std::string head = c.in.substr(0, c.in.find("\r\n\r\n"));
  size_t pos = head.find("\r\n");
  const std::string line = head.substr(0, pos);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 != std::string::npos && sp2 > sp1) req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  while (pos != std::string::npos) {
    size_t start = pos + 2;
    pos = head.find("\r\n", start);
    std::string h = head.substr(start, pos == std::string::npos ? pos : pos - start);
    size_t colon = h.find(':');
    if (colon != std::string::npos)
      req.headers[lower(h.substr(0, colon))] = trim(h.substr(colon + 1));
  }
  Reply reply;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(req);
    if (policy_) reply = policy_(req);
  }
  if (reply.hang) return;
  c.out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Length: 0\r\n";
  if (!reply.user.empty()) c.out += "X-User-Id: " + reply.user + "\r\n";
  if (reply.status == 401) c.out += "WWW-Authenticate: Cookie realm=\"app\"\r\n";
  c.out += "Connection: close\r\n\r\n";
}

}  // namespace ssegate::integration
