// Command line of ssegate-loadgen. Parsed once before any fork, then read-only.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

struct Options {
  std::string url;            // as given
  std::string host_header;    // host[:port] for the Host header
  sockaddr_in target{};       // IPv4 address to connect to
  std::string path_template;  // may contain {c} (channel index) and {i} (subscriber index)
  uint64_t subscribers = 1000;
  uint64_t channels = 1;
  int processes = 1;
  double ramp_per_s = 2000;  // new connections per second, all processes together
  double warmup_s = 5;
  double duration_s = 30;  // measurement (or, with --idle, hold) time
  double grace_s = 2;      // wait for late window events after the measurement
  double progress_s = 5;   // 0 = no progress lines
  bool idle = false;       // connect and hold; do not parse events
  bool quiet = false;
  int retries = 0;  // reconnect attempts per subscriber after a failure
  double retry_delay_s = 0.5;
  std::vector<sockaddr_in> sources;  // source addresses, used round-robin; empty = kernel's choice
  std::string head_extra;            // extra request header lines, each ending in "\r\n"
  int64_t epoch_us = 0;              // CLOCK_REALTIME start shared by all processes (set by main)

  // TLS and HTTP/2 (mux_connection.h). https:// URLs use TLS without certificate verification.
  bool tls = false;                 // https:// (ALPN h2 with --h2, else http/1.1)
  bool h2 = false;                  // --h2: HTTP/2 (h2c with prior knowledge for http://)
  uint64_t streams_per_conn = 100;  // --streams-per-conn: HTTP/2 streams per connection
  int32_t h2_window = 1 << 30;      // --h2-window: stream and connection receive window

  // Reconnect storm (--storm; load_generator.h): after the ramp and warmup_s of streaming, every
  // connection drops at once; storm_down_s later all reconnect at once with Last-Event-ID. The
  // run ends storm_after_s after the last is back, or duration_s after the reconnect.
  bool storm = false;
  double storm_down_s = 2;   // --storm-down
  double storm_after_s = 3;  // --storm-after
};

// Parses argv into *out. On --help or an error prints usage (and the error) to stderr and returns
// false; *exit_code is then what main() should return.
bool parseOptions(int argc, char** argv, Options* out, int* exit_code);

// The request path of subscriber `index`.
std::string renderPath(const Options& options, uint64_t index);

}  // namespace loadgen
