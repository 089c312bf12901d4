// A scripted auth app for identity.auth_request tests: an HTTP/1.1 server on 127.0.0.1 that
// answers each request with what the test's policy returns for its Cookie and Authorization
// (a status and the user header), or never answers (to make the gateway time out).
//
// Threads: one internal thread runs a poll(2) loop; every public method is thread-safe and may be
// called from the test thread. Each request is answered with Connection: close.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/socket_util.h"

namespace ssegate::integration {

class AuthServer {
 public:
  struct Request {
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-cased
  };
  struct Reply {
    int status = 200;
    std::string user;   // sent as X-User-Id when not empty
    bool hang = false;  // never answer
  };
  using Policy = std::function<Reply(const Request&)>;

  AuthServer() = default;
  ~AuthServer();
  AuthServer(const AuthServer&) = delete;
  AuthServer& operator=(const AuthServer&) = delete;

  bool start();
  void stop();
  uint16_t port() const { return port_; }
  void setPolicy(Policy policy);
  size_t requestCount() const;
  std::vector<Request> requests() const;

 private:
  struct Connection {
    UniqueFd fd;
    std::string in;
    std::string out;
    bool answered = false;
  };
  void run();
  void onHead(Connection& c);

  uint16_t port_ = 0;
  UniqueFd listener_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  Policy policy_;                  // guarded by mutex_
  std::vector<Request> requests_;  // guarded by mutex_
};

}  // namespace ssegate::integration
