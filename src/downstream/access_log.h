// AccessRecord: what the access log says about one finished downstream stream (an HTTP/1.1
// request or an HTTP/2 stream), and the one function that writes it.
//
// One line per finished stream, written at info level with context "access" through base/log
// (one write(2) per line), as logfmt key=value pairs:
//   ip=… user=… method=GET target=/events/a?access_token=REDACTED route=/events/{channel}
//   channel=/stream/a proto=http1|h2 tls=true|false status=200 duration_ms=… events=… bytes=…
//   reason="…"
// The time is the log line's own timestamp (the moment the stream ended). `target` is the request
// target with query tokens redacted (identity::redactQuery); request headers are never logged, so
// Authorization and Cookie cannot leak. Values with spaces, quotes or control bytes are quoted
// and escaped, so a peer cannot forge fields or lines.
//
// Counting is the connection's job and costs two additions per queued frame (no formatting on
// the data path): `events` counts SSE events queued for the subscriber (replay and live, not
// keepalives), `bytes` the SSE body bytes queued (events, comments, retry lines; not HTTP framing).
// Thread: any (the record is owned by its stream; writing is thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ssegate::config {
struct Config;
}

namespace ssegate::downstream {

struct AccessRecord {
  int64_t start_ms = 0;  // loop time when the request head was complete
  std::string client_ip;
  std::string user;     // "" = anonymous
  std::string method;   // "" = no request was read (connection-level rejection)
  std::string target;   // redacted
  std::string route;    // the route's path template, "" = none matched
  std::string channel;  // the rendered upstream path, "" = none
  bool http2 = false;
  bool tls = false;
  int status = 0;  // HTTP status sent; 0 = none (the client went away first: logged as 499)
  uint64_t events = 0;
  uint64_t bytes = 0;
  bool written = false;  // the line has been written: a stream is logged exactly once

  // Sets `target` from a raw request target, with the configured JWT query parameter and
  // "access_token" redacted.
  void setTarget(std::string_view raw, const config::Config& config);
};

// The line (without the log prefix) for `r` ending at `now_ms` for `reason`.
std::string formatAccessLine(const AccessRecord& r, int64_t now_ms, std::string_view reason);

// Writes the line once: does nothing if r->written, else writes it (when info is enabled) and
// sets r->written.
void writeAccessLine(AccessRecord* r, int64_t now_ms, std::string_view reason);

}  // namespace ssegate::downstream
