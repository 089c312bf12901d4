#include "harness/burst_driver.h"

#include <poll.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ssegate::integration {
namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// "ts=<ns>;seq=<k>;..." -> (ns, k); false when the data is not ours.
bool parseStamp(const std::string& data, int64_t* ts, long* seq) {
  return std::sscanf(data.c_str(), "ts=%ld;seq=%ld;", ts, seq) == 2;
}

}  // namespace

double percentile(std::vector<double> values, double pct) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = pct / 100.0 * static_cast<double>(values.size() - 1);
  return values[static_cast<size_t>(std::lround(rank))];
}

std::string BurstResult::summary() const {
  char text[256];
  std::snprintf(text, sizeof(text), "%zu samples in %lld ms: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                samples, static_cast<long long>(elapsed.count()), p50_ms, p99_ms, max_ms);
  return text + (problem.empty() ? std::string() : "; PROBLEM: " + problem);
}

BurstDriver::BurstDriver(FakeOrigin& origin, std::vector<SseClient*> healthy)
    : origin_(origin), healthy_(std::move(healthy)) {}

void BurstDriver::pumpOnce(int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<SseClient*> clients;
  auto add = [&](SseClient* c) {
    if (c == nullptr || c->closed()) return;
    fds.push_back({c->fd(), c->pollEvents(), 0});
    clients.push_back(c);
  };
  for (SseClient* c : healthy_) add(c);
  for (SseClient* c : others) add(c);
  if (fds.empty()) {
    ::poll(nullptr, 0, timeout_ms);
    return;
  }
  if (::poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) clients[i]->onPoll(fds[i].revents);
  }
}

BurstResult BurstDriver::run(const BurstSpec& spec,
                             const std::function<void(Clock::time_point now)>& tick) {
  BurstResult result;
  std::vector<size_t> seen(healthy_.size());
  std::vector<long> next_seq(healthy_.size(), 1);
  for (size_t i = 0; i < healthy_.size(); ++i) seen[i] = healthy_[i]->events().size();
  std::vector<double> latencies;
  latencies.reserve(healthy_.size() * static_cast<size_t>(spec.events));
  const std::string pad(spec.data_bytes > 48 ? spec.data_bytes - 48 : 0, 'p');

  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + spec.timeout;
  int published = 0;
  auto all_done = [&] {
    for (size_t i = 0; i < healthy_.size(); ++i) {
      if (next_seq[i] <= spec.events) return false;
    }
    return true;
  };
  while (!all_done() && result.problem.empty()) {
    const Clock::time_point now = Clock::now();
    if (now > deadline) {
      for (size_t i = 0; i < healthy_.size(); ++i) {
        if (next_seq[i] <= spec.events) {
          result.problem = "healthy subscriber #" + std::to_string(i) + " got " +
                           std::to_string(next_seq[i] - 1) + " of " + std::to_string(spec.events) +
                           " events in time: " + healthy_[i]->describe();
          break;
        }
      }
      break;
    }
    // Open loop: every event due by now is published now, stamped with its publish time.
    while (published < spec.events &&
           now >=
               start + std::chrono::microseconds(int64_t{1000000} * published / spec.rate_per_s)) {
      ++published;
      origin_.publish(
          spec.channel, spec.channel + "-" + std::to_string(published),
          "ts=" + std::to_string(nowNs()) + ";seq=" + std::to_string(published) + ";" + pad);
    }
    if (tick) tick(now);
    pumpOnce(published < spec.events ? 1 : 5);
    for (size_t i = 0; i < healthy_.size() && result.problem.empty(); ++i) {
      const auto& events = healthy_[i]->events();
      for (; seen[i] < events.size(); ++seen[i]) {
        int64_t ts = 0;
        long seq = 0;
        const SseEvent& e = events[seen[i]];
        if (!parseStamp(e.data, &ts, &seq) || seq != next_seq[i] ||
            e.id != spec.channel + "-" + std::to_string(seq)) {
          result.problem = "healthy subscriber #" + std::to_string(i) + " expected seq " +
                           std::to_string(next_seq[i]) + ", got id '" + e.id + "' data '" +
                           e.data.substr(0, 40) + "'";
          break;
        }
        ++next_seq[i];
        const int64_t arrived =
            std::chrono::duration_cast<std::chrono::nanoseconds>(e.at.time_since_epoch()).count();
        latencies.push_back(static_cast<double>(arrived - ts) / 1e6);
      }
      if (result.problem.empty() && healthy_[i]->closed()) {
        result.problem =
            "healthy subscriber #" + std::to_string(i) + " was closed: " + healthy_[i]->describe();
      }
    }
  }
  result.elapsed = millisSince(start);
  result.samples = latencies.size();
  result.p50_ms = percentile(latencies, 50);
  result.p99_ms = percentile(latencies, 99);
  result.max_ms = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  return result;
}

}  // namespace ssegate::integration
