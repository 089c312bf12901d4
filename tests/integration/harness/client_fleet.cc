#include "harness/client_fleet.h"

#include <algorithm>
#include <limits>

namespace ssegate::integration {
namespace {

bool settled(const SseClient& c) {
  return c.headComplete() || c.closed();
}

}  // namespace

ClientFleet::ClientFleet(uint16_t port, SseClient::Options options)
    : port_(port), options_(options) {}

SseClient& ClientFleet::add(const std::string& target, const Headers& headers) {
  clients_.push_back(std::make_unique<SseClient>(port_, options_));
  clients_.back()->get(target, headers);
  return *clients_.back();
}

bool ClientFleet::connectAll(size_t count, const std::string& target, Millis timeout,
                             const Headers& headers, size_t max_in_flight) {
  const size_t first = clients_.size();
  size_t added = 0;
  return pumpUntil(
      [&] {
        size_t in_flight = 0;
        for (size_t i = first; i < clients_.size(); ++i) in_flight += settled(*clients_[i]) ? 0 : 1;
        while (added < count && in_flight < max_in_flight) {
          add(target, headers);
          ++added;
          ++in_flight;
        }
        return added == count && in_flight == 0;
      },
      timeout);
}

bool ClientFleet::waitHeads(Millis timeout) {
  return pumpUntil(
      [this] {
        return std::all_of(clients_.begin(), clients_.end(),
                           [](const auto& c) { return settled(*c); });
      },
      timeout);
}

void ClientFleet::pumpOnce(int timeout_ms) {
  pollfds_.clear();
  polled_.clear();
  for (auto& client : clients_) {
    if (client->closed()) continue;
    pollfds_.push_back({client->fd(), client->pollEvents(), 0});
    polled_.push_back(client.get());
  }
  if (pollfds_.empty()) {
    ::poll(nullptr, 0, timeout_ms);  // nothing alive: just let the time pass
    return;
  }
  const int n = ::poll(pollfds_.data(), pollfds_.size(), timeout_ms);
  if (n <= 0) return;
  for (size_t i = 0; i < pollfds_.size(); ++i) {
    if (pollfds_[i].revents != 0) polled_[i]->onPoll(pollfds_[i].revents);
  }
}

bool ClientFleet::pumpUntil(const std::function<bool()>& done, Millis timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!done()) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return done();
    pumpOnce(static_cast<int>(std::min<int64_t>(left, 20)));
  }
  return true;
}

void ClientFleet::pumpFor(Millis duration) {
  pumpUntil([] { return false; }, duration);
}

bool ClientFleet::waitAllEvents(size_t count, Millis timeout) {
  return pumpUntil([&] { return minEvents() >= count; }, timeout);
}

size_t ClientFleet::countWithStatus(int status) const {
  return std::count_if(clients_.begin(), clients_.end(),
                       [&](const auto& c) { return c->headComplete() && c->status() == status; });
}

size_t ClientFleet::countClosed() const {
  return std::count_if(clients_.begin(), clients_.end(), [](const auto& c) { return c->closed(); });
}

size_t ClientFleet::minEvents() const {
  size_t least = std::numeric_limits<size_t>::max();
  for (const auto& c : clients_) least = std::min(least, c->events().size());
  return clients_.empty() ? 0 : least;
}

std::string ClientFleet::describeFirst(const std::function<bool(const SseClient&)>& bad) const {
  for (size_t i = 0; i < clients_.size(); ++i) {
    if (bad(*clients_[i])) return "client #" + std::to_string(i) + ": " + clients_[i]->describe();
  }
  return "";
}

}  // namespace ssegate::integration
