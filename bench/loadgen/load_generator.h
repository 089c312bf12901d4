// LoadGenerator: one process's share of the subscribers, its loop and its measurements.
//
// Single thread, owns its uv loop, the Subscribers and the Stats. Timeline (monotonic, derived
// from Options::epoch_us so that all processes agree):
//   ramp: subscriber k of this process starts at epoch + (k*K + p) / ramp   (K processes, index p)
//   warm-up until ramp end + warmup_s; then the measurement window for duration_s;
//   then grace_s for late window events; then every connection is closed and run() returns.
// With --idle the connections are held for duration_s after the ramp and nothing is parsed.
// Per channel, the window is the seqs published after the highest seq seen when it opened, up to
// the highest seq seen when it closed.
// With --storm: ramp, warmup_s of streaming (longer, up to duration_s, until every subscriber has
// an event), then every connection closes at once (kStormDown);
// storm_down_s later every subscriber reconnects at once with its Last-Event-ID (kStormBack,
// the window), until storm_after_s after the last is back or duration_s after the reconnect;
// then grace_s, after which a subscriber is "behind" if it lacks the channel's last seq seen
// when the window closed.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "options.h"
#include "stats.h"
#include "subscriber.h"

namespace loadgen {

class LoadGenerator {
 public:
  LoadGenerator(const Options& options, int process_index);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Runs the whole timeline (or until SIGTERM/SIGINT) and returns what was measured.
  Stats run();

  // For Subscribers.
  uv_loop_t* loop() { return &loop_; }
  const Options& options() const { return options_; }
  uv_buf_t readBuffer() { return uv_buf_init(read_buffer_.data(), read_buffer_.size()); }
  // `receive_us` is the kernel's receive time of these bytes (CLOCK_REALTIME), 0 if unknown.
  void onBytes(size_t size, int64_t receive_us);
  void onConnected(Subscriber& subscriber);
  // Returns true when the subscriber should reconnect (after its handle closed).
  bool onFailure(Subscriber& subscriber, Subscriber::Failure failure, int detail);
  void scheduleRetry(Subscriber* subscriber);
  // The stream ended after its 200. Returns true when the subscriber should reconnect (--storm,
  // after the reconnect: like a browser's EventSource, with Last-Event-ID).
  bool onDisconnected(Subscriber& subscriber, const char* why);
  void onEvent(Subscriber& subscriber, std::string_view data);

 private:
  enum class Phase { kWarmup, kMeasure, kStormDown, kStormBack, kGrace, kDone };
  struct ChannelWindow {
    uint64_t max_seq = 0;  // highest seq any subscriber of this process saw
    uint64_t start = 0;    // window = (start, end]
    uint64_t end = 0;
    bool started = false;
    bool ended = false;
  };

  static void onTickThunk(uv_timer_t* timer);
  static void onSignalThunk(uv_signal_t* handle, int signum);
  void onTick();
  void stormTick(uint64_t now);
  void stormDrop();
  void stormReconnect(uint64_t now);
  void openWindow();
  void closeWindow();
  void finish();
  void progress(uint64_t now_ns);
  void logFailure(const Subscriber& subscriber, const char* what, int detail);

  const Options& options_;
  int process_index_;
  uv_loop_t loop_;
  uv_timer_t tick_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  std::vector<char> read_buffer_;
  std::vector<std::unique_ptr<Subscriber>> subscribers_;
  std::vector<ChannelWindow> windows_;
  std::deque<std::pair<uint64_t, Subscriber*>> retries_;  // (due ns, subscriber), due ascending
  size_t started_ = 0;
  uint64_t streaming_ = 0;
  uint64_t events_total_ = 0;
  uint64_t failure_logs_ = 0;
  Phase phase_ = Phase::kWarmup;
  uint64_t start_ns_;  // epoch on the monotonic clock
  uint64_t measure_start_ns_;
  uint64_t measure_end_ns_;
  uint64_t end_ns_;
  uint64_t next_progress_ns_;
  uint64_t window_opened_ns_ = 0;
  uint64_t reconnect_ns_ = 0;      // --storm: when every subscriber reconnects (monotonic)
  int64_t reconnect_wall_us_ = 0;  // the same, CLOCK_REALTIME (older ts_us = replayed)
  uint64_t last_back_ns_ = 0;
  size_t with_event_ = 0;   // subscribers that received at least one event
  int64_t receive_us_ = 0;  // kernel receive time of the bytes being processed (CLOCK_REALTIME)
  int64_t read_us_ = 0;     // when this process read them (CLOCK_REALTIME)
  Stats stats_;
};

}  // namespace loadgen
