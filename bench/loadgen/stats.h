// Stats: what one load generator process measured; merged across processes by the driver.
//
// Counters are plain sums. `events`/`bytes` count arrivals during the measurement window;
// `expected`/`delivered` count, for subscribers streaming when it opened, the events whose seq
// the channel published inside it (so late events are still waited for during the grace time).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "histogram.h"

namespace loadgen {

struct Stats {
  uint64_t subscribers = 0;       // subscribers this run was asked to open
  uint64_t connected = 0;         // got a 200 response head
  uint64_t failed = 0;            // gave up without a 200 (sum of the three below)
  uint64_t failed_connect = 0;    // TCP connect or bind error
  uint64_t failed_status = 0;     // non-200 status
  uint64_t failed_closed = 0;     // closed or garbled before the response head
  uint64_t retries = 0;           // reconnect attempts after a failure
  uint64_t disconnected = 0;      // stream ended after the 200 (by the server or an error)
  uint64_t streaming_at_end = 0;  // streams still open when the run ended
  uint64_t events = 0;            // events received during the measurement window
  uint64_t bytes = 0;             // body bytes received during the measurement window
  uint64_t expected = 0;          // window events owed to the subscribers streaming at its start
  uint64_t delivered = 0;         // of those, received (each seq counted once per subscriber)
  uint64_t gaps = 0;              // seqs skipped, summed over subscribers, whole run
  uint64_t dups = 0;              // seqs received again or out of order, whole run
  uint64_t bad_events = 0;        // events whose data lacks a "seq" or "ts_us" number
  uint64_t measure_us = 0;        // length of the measurement window (merged as the maximum)
  Histogram latency_us;           // kernel receive time - ts_us of window events (CLOCK_REALTIME)
  Histogram read_latency_us;      // the same, to when this process read them

  // --storm only (printed as "storm"; with --storm the window is from the reconnect to the end
  // of the observation, and latency covers the events published after the reconnect).
  uint64_t storm_streaming_at_drop = 0;  // streaming with an event when every connection dropped
  uint64_t storm_back = 0;               // got a 200 and an event after the reconnect
  uint64_t storm_gaps = 0;               // seqs skipped after the reconnect
  uint64_t storm_dups = 0;               // seqs received again after the reconnect
  uint64_t storm_subscribers_with_gaps = 0;
  uint64_t storm_subscribers_with_dups = 0;
  uint64_t storm_replayed = 0;        // events received after the reconnect, published before it
  uint64_t storm_retries = 0;         // reconnect attempts after a failure, after the storm
  uint64_t storm_failed_connect = 0;  // attempts after the storm: connect errors,
  uint64_t storm_failed_status = 0;   //   non-200 answers,
  uint64_t storm_failed_closed = 0;   //   closed before the head,
  uint64_t storm_disconnected = 0;    //   streams ended after the 200 (reconnected)
  uint64_t storm_behind = 0;          // not caught up with the channel at the end
  uint64_t storm_all_back_us = 0;     // reconnect -> the last back (merged as the maximum)
  uint64_t storm_issue_us = 0;        // time this process took to issue every connect (max)
  uint64_t storm_drop_late_us = 0;    // the drop waited this long for every first event (max)
  Histogram recovery_us;              // per subscriber: reconnect -> back (kernel receive
                                      // time of its first event after the reconnect)
  Histogram response_us;              // per subscriber: its last request sent -> that event

  void merge(const Stats& other);
  // "name=value" pairs (counters, then measure_us), then one line per histogram. For the
  // process driver only.
  std::string serialize() const;
  bool parse(std::string_view text);

  using Field = std::pair<const char*, uint64_t Stats::*>;
  // Every counter above, in output order (the storm counters apart: printed with --storm only).
  static std::span<const Field> fields();
  static std::span<const Field> stormFields();
};

}  // namespace loadgen
