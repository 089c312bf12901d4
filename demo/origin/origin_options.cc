#include "origin_options.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace demo {
namespace {

constexpr char kUsage[] =
    "usage: ssegate-demo-origin [--listen HOST:PORT] [--rate EVENTS_PER_SEC] [--size BYTES]\n"
    "                           [--history N] [--keepalive SECONDS] [--quiet]\n"
    "  --listen     address to serve on (default 127.0.0.1:9000)\n"
    "  --rate       events per second on every channel, fractional allowed (default 1)\n"
    "  --size       target size of each event's JSON data in bytes, padded (default 64)\n"
    "  --history    events kept per channel for Last-Event-ID resume (default 10000)\n"
    "  --keepalive  comment after this many seconds without an event (default 15)\n"
    "  --quiet      no log line per connection\n"
    "serves GET /stream/{channel} as text/event-stream, GET /stats as JSON, GET /healthz\n";

bool parseDouble(const char* text, double min, double max, double* out) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= min && value <= max)) return false;
  *out = value;
  return true;
}

bool parseSize(const char* text, size_t max, size_t* out) {
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value > max) return false;
  *out = static_cast<size_t>(value);
  return true;
}

bool parseHostPort(std::string_view text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  size_t parsed = 0;
  if (!parseSize(std::string(text.substr(colon + 1)).c_str(), 65535, &parsed)) return false;
  *host = std::string(text.substr(0, colon));
  *port = static_cast<int>(parsed);
  return true;
}

}  // namespace

bool parseOriginOptions(int argc, char** argv, OriginOptions* out, int* exit_code) {
  *exit_code = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stderr);
      *exit_code = 0;
      return false;
    }
    if (flag == "--quiet") {
      out->quiet = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ssegate-demo-origin: %s needs a value\n%s", argv[i], kUsage);
      return false;
    }
    const char* value = argv[++i];
    bool ok = false;
    if (flag == "--listen") {
      ok = parseHostPort(value, &out->host, &out->port);
    } else if (flag == "--rate") {
      ok = parseDouble(value, 0.001, 100000.0, &out->rate);
    } else if (flag == "--size") {
      ok = parseSize(value, 1 << 20, &out->size);
    } else if (flag == "--history") {
      ok = parseSize(value, 10000000, &out->history);
    } else if (flag == "--keepalive") {
      ok = parseDouble(value, 0.1, 86400.0, &out->keepalive_s);
    } else {
      std::fprintf(stderr, "ssegate-demo-origin: unknown flag %s\n%s", argv[i - 1], kUsage);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "ssegate-demo-origin: bad value for %s: %s\n", argv[i - 1], value);
      return false;
    }
  }
  return true;
}

}  // namespace demo
