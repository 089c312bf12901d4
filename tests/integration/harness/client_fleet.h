// Many SseClients driven by ONE thread with poll(2): the way a test holds 1,000 subscribers.
//
// Owned by the test thread. add() queues one client (its own target and headers); connectAll()
// adds many, keeping at most `max_in_flight` connections waiting for their response head at any
// time so the gateway's accept backlog never overflows. Every wait pumps all live clients. The
// clients stay owned by the fleet; tests read their state through client(i).
#pragma once

#include <poll.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/sse_client.h"
#include "harness/wait.h"

namespace ssegate::integration {

class ClientFleet {
 public:
  explicit ClientFleet(uint16_t port, SseClient::Options options = {});

  // Starts one client now (connect + GET queued); returns it (owned by the fleet).
  SseClient& add(const std::string& target, const Headers& headers = {});
  // Adds `count` clients for `target`; true when each has a response head (or was closed)
  // within `timeout`.
  bool connectAll(size_t count, const std::string& target, Millis timeout,
                  const Headers& headers = {}, size_t max_in_flight = 200);
  // True when every client has a response head (or was closed) within `timeout`.
  bool waitHeads(Millis timeout);

  // Pumps every live client until done() or the timeout; returns done()'s final value.
  bool pumpUntil(const std::function<bool()>& done, Millis timeout);
  // Pumps for `duration` regardless (to observe that nothing more arrives); bounded by design.
  void pumpFor(Millis duration);
  bool waitAllEvents(size_t count, Millis timeout);

  size_t size() const { return clients_.size(); }
  SseClient& client(size_t i) { return *clients_[i]; }
  size_t countWithStatus(int status) const;
  size_t countClosed() const;
  size_t minEvents() const;
  // describe() of the first client for which `bad` holds, or "" (for assertion messages).
  std::string describeFirst(const std::function<bool(const SseClient&)>& bad) const;

 private:
  void pumpOnce(int timeout_ms);

  uint16_t port_;
  SseClient::Options options_;
  std::vector<std::unique_ptr<SseClient>> clients_;
  std::vector<pollfd> pollfds_;
  std::vector<SseClient*> polled_;
};

}  // namespace ssegate::integration
