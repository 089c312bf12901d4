#include "harness/reconnecting_fleet.h"

#include <algorithm>
#include <sstream>

namespace ssegate::integration {

ReconnectingFleet::ReconnectingFleet(uint16_t port, Millis initial_retry)
    : fleet_(port), initial_retry_(initial_retry) {}

bool ReconnectingFleet::connectAll(size_t count, const std::string& target, Millis timeout) {
  size_t first = fleet_.size();
  bool ok = fleet_.connectAll(count, target, timeout);
  for (size_t i = 0; i < count; ++i) {
    Sub s;
    s.target = target;
    s.clients.push_back(first + i);
    subs_.push_back(std::move(s));
  }
  return ok;
}

std::string ReconnectingFleet::lastId(const Sub& s) const {
  // The EventSource's last event ID: the id of the last event that had one, over all
  // connections (a reconnect that received nothing keeps the previous one).
  for (auto it = s.clients.rbegin(); it != s.clients.rend(); ++it) {
    const auto& evs = fleet_.client(*it).events();
    for (auto e = evs.rbegin(); e != evs.rend(); ++e) {
      if (!e->id.empty()) return e->id;
    }
  }
  return "";
}

Millis ReconnectingFleet::retryOf(const Sub& s) const {
  for (auto it = s.clients.rbegin(); it != s.clients.rend(); ++it) {
    const auto& r = fleet_.client(*it).sse().retries();
    if (!r.empty()) return Millis(static_cast<int64_t>(r.back()));
  }
  return initial_retry_;
}

void ReconnectingFleet::step() {
  const Clock::time_point now = Clock::now();
  for (Sub& s : subs_) {
    if (s.done) continue;
    SseClient& c = fleet_.client(s.clients.back());
    if (!s.waiting) {
      if (!c.closed()) continue;
      if (c.headComplete() && c.status() != 200) {
        s.done = true;  // a final answer: an EventSource does not reconnect
        continue;
      }
      s.waiting = true;
      s.reconnect_at = now + retryOf(s);
      continue;
    }
    if (now < s.reconnect_at) continue;
    s.waiting = false;
    Headers headers;
    std::string id = lastId(s);
    if (!id.empty()) headers.emplace_back("Last-Event-ID", id);
    fleet_.add(s.target, headers);
    s.clients.push_back(fleet_.size() - 1);
  }
}

bool ReconnectingFleet::pumpUntil(const std::function<bool()>& done, Millis timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    step();
    if (done()) return true;
    fleet_.pumpFor(Millis(10));
  }
  step();
  return done();
}

void ReconnectingFleet::pumpFor(Millis duration) {
  pumpUntil([] { return false; }, duration);
}

std::vector<SseEvent> ReconnectingFleet::events(size_t i) const {
  std::vector<SseEvent> out;
  for (size_t k : subs_[i].clients) {
    const auto& evs = fleet_.client(k).events();
    out.insert(out.end(), evs.begin(), evs.end());
  }
  return out;
}

size_t ReconnectingFleet::minEvents() const {
  size_t m = SIZE_MAX;
  for (size_t i = 0; i < subs_.size(); ++i) m = std::min(m, events(i).size());
  return subs_.empty() ? 0 : m;
}

size_t ReconnectingFleet::totalReconnects() const {
  size_t n = 0;
  for (const Sub& s : subs_) n += s.clients.size() - 1;
  return n;
}

size_t ReconnectingFleet::finished() const {
  return static_cast<size_t>(
      std::count_if(subs_.begin(), subs_.end(), [](const Sub& s) { return s.done; }));
}

std::string ReconnectingFleet::describe(size_t i) const {
  std::ostringstream os;
  os << "subscriber #" << i << " (" << subs_[i].clients.size() << " connections):";
  for (size_t k : subs_[i].clients) {
    os << " [" << fleet_.client(k).describe() << "]";
  }
  return os.str();
}

}  // namespace ssegate::integration
