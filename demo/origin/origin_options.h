// Command line of ssegate-demo-origin. Parsed once in main(), then read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace demo {

struct OriginOptions {
  std::string host = "127.0.0.1";
  int port = 9000;
  double rate = 1.0;          // events per second per channel, open-loop schedule
  size_t size = 64;           // target length of each event's data (JSON), padded
  size_t history = 10000;     // events kept per channel for Last-Event-ID
  double keepalive_s = 15.0;  // ":" comment after this much silence on a channel
  bool quiet = false;         // no per-connection log lines
};

// Parses argv. On --help or an error prints usage (and the error) to stderr and returns false;
// *exit_code is then the code main() should return.
bool parseOriginOptions(int argc, char** argv, OriginOptions* out, int* exit_code);

}  // namespace demo
