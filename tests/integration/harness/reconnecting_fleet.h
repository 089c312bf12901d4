// ReconnectingFleet: subscribers that behave like browsers' EventSource across a gateway restart
// or drain. Each logical subscriber holds one SseClient at a time (in a ClientFleet, so one
// poll(2) loop drives them all); when its stream ends or its connection fails, it waits for the
// last retry: delay it was given (the initial delay before any) and reconnects with the
// Last-Event-ID of the last event it received. events(i) is everything subscriber i received,
// over all its connections, in order.
//
// Owned and driven by the test thread (pump*). A subscriber gives up after a final HTTP status
// (an EventSource stops on 204/4xx) but is still counted in finished().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/client_fleet.h"
#include "harness/sse_client.h"
#include "harness/wait.h"

namespace ssegate::integration {

class ReconnectingFleet {
 public:
  ReconnectingFleet(uint16_t port, Millis initial_retry);

  // Starts `count` subscribers on `target` (no Last-Event-ID); true when each has a head.
  bool connectAll(size_t count, const std::string& target, Millis timeout);

  // Pumps (and reconnects) until done() or the timeout; returns done()'s final value.
  bool pumpUntil(const std::function<bool()>& done, Millis timeout);
  void pumpFor(Millis duration);

  size_t size() const { return subs_.size(); }
  std::vector<SseEvent> events(size_t i) const;
  size_t minEvents() const;
  // How many connections subscriber i has made (1 = never reconnected).
  size_t connections(size_t i) const { return subs_[i].clients.size(); }
  size_t totalReconnects() const;
  // Subscribers that stopped for good (a non-200 final status).
  size_t finished() const;
  std::string describe(size_t i) const;

 private:
  struct Sub {
    std::string target;
    std::vector<size_t> clients;  // indices in fleet_, oldest first
    Clock::time_point reconnect_at{};
    bool waiting = false;
    bool done = false;
  };
  void step();
  std::string lastId(const Sub& s) const;
  Millis retryOf(const Sub& s) const;

  mutable ClientFleet fleet_;  // client(i) is non-const; reading does not change it
  Millis initial_retry_;
  std::vector<Sub> subs_;
};

}  // namespace ssegate::integration
