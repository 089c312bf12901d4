#include "load_generator.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "subscriber_factory.h"

namespace loadgen {
namespace {

constexpr uint64_t kTickMs = 5;
constexpr uint64_t kMaxFailureLogs = 5;

uint64_t secondsToNs(double seconds) {
  return static_cast<uint64_t>(seconds * 1e9);
}

// The integer after `key` in `text` (targeted scan of the origin's JSON, no JSON parser).
template <typename T>
bool findNumber(std::string_view text, std::string_view key, T* out) {
  size_t pos = text.find(key);
  if (pos == std::string_view::npos) return false;
  const char* begin = text.data() + pos + key.size();
  const char* end = text.data() + text.size();
  while (begin < end && *begin == ' ') ++begin;
  return std::from_chars(begin, end, *out).ec == std::errc();
}

}  // namespace

LoadGenerator::LoadGenerator(const Options& options, int process_index)
    : options_(options), process_index_(process_index), read_buffer_(64 * 1024) {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  for (auto* signal : {&sigterm_, &sigint_}) {
    uv_signal_init(&loop_, signal);
    signal->data = this;
  }
  uint64_t processes = static_cast<uint64_t>(options_.processes);
  SubscriberFactory factory(this);  // plain HTTP/1.1, or TLS / HTTP/2 (mux_connection.h)
  for (uint64_t i = static_cast<uint64_t>(process_index); i < options_.subscribers;
       i += processes) {
    subscribers_.push_back(factory.make(i, i % options_.channels, renderPath(options_, i)));
  }
  windows_.resize(std::min(options_.channels, options_.subscribers));
  stats_.subscribers = subscribers_.size();

  int64_t until_epoch_us = options_.epoch_us - realtimeUs();
  start_ns_ = uv_hrtime() + (until_epoch_us > 0 ? static_cast<uint64_t>(until_epoch_us) * 1000 : 0);
  uint64_t ramp_end = start_ns_ + secondsToNs(options_.subscribers / options_.ramp_per_s);
  measure_start_ns_ = ramp_end + (options_.idle ? 0 : secondsToNs(options_.warmup_s));
  measure_end_ns_ = measure_start_ns_ + secondsToNs(options_.duration_s);
  end_ns_ = measure_end_ns_ + (options_.idle ? 0 : secondsToNs(options_.grace_s));
  if (options_.storm) {  // measure_start = the drop; the window opens at the reconnect
    reconnect_ns_ = measure_start_ns_ + secondsToNs(options_.storm_down_s);
    measure_end_ns_ = reconnect_ns_ + secondsToNs(options_.duration_s);  // at the latest
    end_ns_ = measure_end_ns_ + secondsToNs(options_.grace_s);
  }
  next_progress_ns_ = start_ns_ + secondsToNs(options_.progress_s);
}

LoadGenerator::~LoadGenerator() {
  uv_loop_close(&loop_);
}

Stats LoadGenerator::run() {
  uv_timer_start(&tick_, &LoadGenerator::onTickThunk, 0, kTickMs);
  uv_signal_start(&sigterm_, &LoadGenerator::onSignalThunk, SIGTERM);
  uv_signal_start(&sigint_, &LoadGenerator::onSignalThunk, SIGINT);
  uv_run(&loop_, UV_RUN_DEFAULT);
  return stats_;
}

void LoadGenerator::onTickThunk(uv_timer_t* timer) {
  static_cast<LoadGenerator*>(timer->data)->onTick();
}

void LoadGenerator::onSignalThunk(uv_signal_t* handle, int) {
  auto* self = static_cast<LoadGenerator*>(handle->data);
  if (self->phase_ == Phase::kMeasure) self->closeWindow();
  self->finish();
}

void LoadGenerator::onTick() {
  uint64_t now = uv_hrtime();
  if (now >= start_ns_ && started_ < subscribers_.size()) {
    // This process's k-th subscriber is global index k*K+p, due at (k*K+p)/ramp seconds.
    double elapsed_s = static_cast<double>(now - start_ns_) / 1e9;
    double due_global = elapsed_s * options_.ramp_per_s;
    double due_local = (due_global - process_index_) / options_.processes + 1;
    size_t target = due_local <= 0 ? 0 : static_cast<size_t>(due_local);
    target = std::min(target, subscribers_.size());
    const auto& sources = options_.sources;
    for (; started_ < target; ++started_) {
      Subscriber* subscriber = subscribers_[started_].get();
      subscriber->connect(sources.empty() ? nullptr
                                          : &sources[subscriber->index() % sources.size()]);
    }
  }
  while (!retries_.empty() && retries_.front().first <= now) {
    Subscriber* subscriber = retries_.front().second;
    retries_.pop_front();
    const auto& sources = options_.sources;
    subscriber->connect(sources.empty() ? nullptr : &sources[subscriber->index() % sources.size()]);
  }
  if (options_.storm) {
    stormTick(now);
  } else {
    if (phase_ == Phase::kWarmup && now >= measure_start_ns_) openWindow();
    if (phase_ == Phase::kMeasure && now >= measure_end_ns_) closeWindow();
  }
  if (phase_ == Phase::kGrace && now >= end_ns_) finish();
  if (options_.progress_s > 0 && now >= next_progress_ns_ && phase_ != Phase::kDone) {
    progress(now);
    next_progress_ns_ += secondsToNs(options_.progress_s);
  }
}

void LoadGenerator::stormTick(uint64_t now) {
  // The drop waits until every subscriber is streaming and has an event (so that each one
  // resumes with a Last-Event-ID), for at most duration_s past the planned moment.
  if (phase_ == Phase::kWarmup && now >= measure_start_ns_ && started_ == subscribers_.size() &&
      (with_event_ == subscribers_.size() ||
       now >= measure_start_ns_ + secondsToNs(options_.duration_s))) {
    stats_.storm_drop_late_us = (now - measure_start_ns_) / 1000;
    reconnect_ns_ = now + secondsToNs(options_.storm_down_s);
    measure_end_ns_ = reconnect_ns_ + secondsToNs(options_.duration_s);
    stormDrop();
  }
  if (phase_ == Phase::kStormDown && now >= reconnect_ns_) stormReconnect(now);
  if (phase_ == Phase::kStormBack) {
    bool all_back = stats_.storm_back == subscribers_.size();
    if ((all_back && now >= last_back_ns_ + secondsToNs(options_.storm_after_s)) ||
        now >= measure_end_ns_) {
      closeWindow();
      stats_.measure_us = (now - reconnect_ns_) / 1000;
      end_ns_ = now + secondsToNs(options_.grace_s);
    }
  }
}

void LoadGenerator::stormDrop() {
  phase_ = Phase::kStormDown;
  retries_.clear();
  for (auto& subscriber : subscribers_) {
    if (subscriber->state() == Subscriber::State::kStreaming && subscriber->last_seq != 0) {
      ++stats_.storm_streaming_at_drop;
    }
    subscriber->close();  // quietly: no failure, no disconnect counted, no retry
  }
  streaming_ = 0;
}

void LoadGenerator::stormReconnect(uint64_t now) {
  phase_ = Phase::kStormBack;
  window_opened_ns_ = reconnect_ns_;
  reconnect_wall_us_ = realtimeUs() - static_cast<int64_t>((now - reconnect_ns_) / 1000);
  for (ChannelWindow& window : windows_) {
    window.start = window.max_seq;
    window.started = true;
  }
  const auto& sources = options_.sources;
  for (auto& subscriber : subscribers_) {
    subscriber->back = false;
    subscriber->attempts = 0;
    if (subscriber->state() != Subscriber::State::kIdle) continue;  // still closing: unlikely
    subscriber->connect(sources.empty() ? nullptr : &sources[subscriber->index() % sources.size()]);
  }
  stats_.storm_issue_us = (uv_hrtime() - reconnect_ns_) / 1000;
}

void LoadGenerator::openWindow() {
  phase_ = Phase::kMeasure;
  window_opened_ns_ = uv_hrtime();
  for (ChannelWindow& window : windows_) {
    window.start = window.max_seq;
    window.started = window.max_seq != 0;
  }
  for (auto& subscriber : subscribers_) {
    subscriber->eligible = subscriber->state() == Subscriber::State::kStreaming;
  }
}

void LoadGenerator::closeWindow() {
  phase_ = Phase::kGrace;
  stats_.measure_us = (uv_hrtime() - window_opened_ns_) / 1000;
  for (ChannelWindow& window : windows_) {
    window.end = window.started ? window.max_seq : 0;
    window.started = window.ended = true;
  }
}

void LoadGenerator::finish() {
  if (phase_ == Phase::kDone) return;
  bool measured = phase_ == Phase::kGrace;
  phase_ = Phase::kDone;
  for (auto& subscriber : subscribers_) {
    if (subscriber->state() == Subscriber::State::kStreaming) ++stats_.streaming_at_end;
    if (options_.storm) {
      if (subscriber->storm_gaps != 0) ++stats_.storm_subscribers_with_gaps;
      if (subscriber->storm_dups != 0) ++stats_.storm_subscribers_with_dups;
      const ChannelWindow& window = windows_[subscriber->channel()];
      if (measured && subscriber->last_seq < window.end) ++stats_.storm_behind;
    }
    if (!measured || !subscriber->eligible) continue;
    const ChannelWindow& window = windows_[subscriber->channel()];
    uint64_t owed = window.end > window.start ? window.end - window.start : 0;
    stats_.expected += owed;
    stats_.delivered += std::min(owed, subscriber->window_delivered);
  }
  if (options_.idle) stats_.measure_us = secondsToNs(options_.duration_s) / 1000;
  for (auto& subscriber : subscribers_) subscriber->close();
  for (auto* handle :
       {reinterpret_cast<uv_handle_t*>(&tick_), reinterpret_cast<uv_handle_t*>(&sigterm_),
        reinterpret_cast<uv_handle_t*>(&sigint_)}) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
}

void LoadGenerator::progress(uint64_t now_ns) {
  if (options_.quiet) return;
  std::fprintf(stderr,
               "loadgen[%d] %.1fs started=%zu streaming=%" PRIu64 " failed=%" PRIu64
               " disconnected=%" PRIu64 " events=%" PRIu64 " gaps=%" PRIu64 " dups=%" PRIu64 "\n",
               process_index_, static_cast<double>(now_ns - start_ns_) / 1e9, started_, streaming_,
               stats_.failed, stats_.disconnected, events_total_, stats_.gaps, stats_.dups);
}

void LoadGenerator::logFailure(const Subscriber& subscriber, const char* what, int detail) {
  if (options_.quiet || ++failure_logs_ > kMaxFailureLogs) return;
  std::string reason = what;
  if (detail > 0) reason += " " + std::to_string(detail);
  if (detail < 0) reason += std::string(" (") + uv_err_name(detail) + ")";
  std::fprintf(stderr, "loadgen[%d] subscriber %" PRIu64 ": %s%s\n", process_index_,
               subscriber.index(), reason.c_str(),
               failure_logs_ == kMaxFailureLogs ? "; further failures not logged" : "");
}

void LoadGenerator::onBytes(size_t size, int64_t receive_us) {
  read_us_ = realtimeUs();
  receive_us_ = receive_us != 0 ? receive_us : read_us_;
  if (phase_ == Phase::kMeasure || phase_ == Phase::kStormBack) stats_.bytes += size;
}

void LoadGenerator::onConnected(Subscriber&) {
  ++stats_.connected;
  ++streaming_;
}

bool LoadGenerator::onFailure(Subscriber& subscriber, Subscriber::Failure failure, int detail) {
  if (phase_ == Phase::kDone) return false;
  const char* what = failure == Subscriber::Failure::kConnect  ? "connect failed"
                     : failure == Subscriber::Failure::kStatus ? "HTTP status"
                                                               : "closed before the head";
  logFailure(subscriber, what, detail);
  bool after_storm = phase_ == Phase::kStormBack || (options_.storm && phase_ == Phase::kGrace);
  if (after_storm) {
    if (failure == Subscriber::Failure::kConnect) ++stats_.storm_failed_connect;
    if (failure == Subscriber::Failure::kStatus) ++stats_.storm_failed_status;
    if (failure == Subscriber::Failure::kClosed) ++stats_.storm_failed_closed;
  }
  if (subscriber.attempts <= options_.retries) {
    ++stats_.retries;
    if (after_storm) ++stats_.storm_retries;
    return true;
  }
  ++stats_.failed;
  if (failure == Subscriber::Failure::kConnect) ++stats_.failed_connect;
  if (failure == Subscriber::Failure::kStatus) ++stats_.failed_status;
  if (failure == Subscriber::Failure::kClosed) ++stats_.failed_closed;
  return false;
}

void LoadGenerator::scheduleRetry(Subscriber* subscriber) {
  if (phase_ == Phase::kDone || phase_ == Phase::kStormDown) return;
  retries_.emplace_back(uv_hrtime() + secondsToNs(options_.retry_delay_s), subscriber);
}

bool LoadGenerator::onDisconnected(Subscriber& subscriber, const char* why) {
  --streaming_;
  if (phase_ == Phase::kDone) return false;
  ++stats_.disconnected;
  logFailure(subscriber, why, 0);
  if (phase_ == Phase::kStormBack || (options_.storm && phase_ == Phase::kGrace)) {
    ++stats_.storm_disconnected;
    subscriber.attempts = 0;
    return true;
  }
  return false;
}

void LoadGenerator::onEvent(Subscriber& subscriber, std::string_view data) {
  ++events_total_;
  uint64_t seq = 0;
  int64_t ts_us = 0;
  if (!findNumber(data, "\"seq\":", &seq) || !findNumber(data, "\"ts_us\":", &ts_us)) {
    ++stats_.bad_events;
    return;
  }
  ChannelWindow& window = windows_[subscriber.channel()];
  if (seq > window.max_seq) window.max_seq = seq;
  bool after_storm = phase_ == Phase::kStormBack || (options_.storm && phase_ == Phase::kGrace);
  bool fresh = true;
  if (subscriber.last_seq == 0) ++with_event_;
  if (subscriber.last_seq != 0) {
    if (seq <= subscriber.last_seq) {
      ++stats_.dups;
      if (after_storm) {
        ++subscriber.storm_dups;
        ++stats_.storm_dups;
      }
      fresh = false;
    } else if (seq > subscriber.last_seq + 1) {
      stats_.gaps += seq - subscriber.last_seq - 1;
      if (after_storm) {
        subscriber.storm_gaps += seq - subscriber.last_seq - 1;
        stats_.storm_gaps += seq - subscriber.last_seq - 1;
      }
    }
  }
  if (fresh) subscriber.last_seq = seq;
  if (after_storm) {
    if (!subscriber.back) {  // times from the kernel receive timestamp of this event
      subscriber.back = true;
      ++stats_.storm_back;
      last_back_ns_ = uv_hrtime();
      uint64_t back_us = receive_us_ > reconnect_wall_us_
                             ? static_cast<uint64_t>(receive_us_ - reconnect_wall_us_)
                             : 0;
      stats_.recovery_us.record(back_us);
      if (back_us > stats_.storm_all_back_us) stats_.storm_all_back_us = back_us;
      stats_.response_us.record(receive_us_ > subscriber.request_us
                                    ? static_cast<uint64_t>(receive_us_ - subscriber.request_us)
                                    : 0);
    }
    if (ts_us < reconnect_wall_us_) {
      ++stats_.storm_replayed;  // published while the subscribers were away
      return;
    }
  }
  if (phase_ == Phase::kWarmup || phase_ == Phase::kDone || phase_ == Phase::kStormDown) return;
  if (phase_ == Phase::kMeasure || phase_ == Phase::kStormBack) ++stats_.events;
  if (!window.started) {  // no event had been seen on this channel when the window opened
    window.started = true;
    window.start = seq - 1;
  }
  if (seq > window.start && (!window.ended || seq <= window.end)) {
    stats_.latency_us.record(receive_us_ > ts_us ? static_cast<uint64_t>(receive_us_ - ts_us) : 0);
    stats_.read_latency_us.record(read_us_ > ts_us ? static_cast<uint64_t>(read_us_ - ts_us) : 0);
    if (fresh && subscriber.eligible) ++subscriber.window_delivered;
  }
}

}  // namespace loadgen
