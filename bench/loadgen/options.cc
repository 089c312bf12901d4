#include "options.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace loadgen {
namespace {

constexpr char kUsage[] =
    "usage: ssegate-loadgen --url http://HOST:PORT/PATH [options]\n"
    "  --url URL          stream URL; the path may use {c} (= subscriber index % channels) and\n"
    "                     {i} (subscriber index), e.g. http://127.0.0.1:8080/events/ch{c}\n"
    "  -n, --subscribers N  subscribers in total (default 1000)\n"
    "  --channels C       distinct channels for {c} (default 1)\n"
    "  --procs K          processes, each with ~N/K subscribers; results merged (default 1)\n"
    "  --ramp R           new connections per second, all processes together (default 2000)\n"
    "  --warmup S         seconds between the end of the ramp and the measurement (default 5)\n"
    "  --duration S       measurement seconds (with --idle: seconds to hold) (default 30)\n"
    "  --grace S          seconds to wait for late events of the window (default 2)\n"
    "  --idle             connect and hold without parsing events (RSS per subscriber)\n"
    "  --src SPEC         source addresses: FIRST-LAST (e.g. 127.0.0.2-127.0.0.9), a count of\n"
    "                     addresses from 127.0.0.2, or none (default: 4 when the target is\n"
    "                     loopback, else none)\n"
    "  --retries N        reconnect attempts after a failed connect or non-200 (default 0)\n"
    "  --retry-delay S    seconds before such a reconnect (default 0.5)\n"
    "  -H 'Name: value'   extra request header (repeatable)\n"
    "  --progress S       progress line to stderr every S seconds, 0 = none (default 5)\n"
    "  --quiet            no progress or failure lines\n"
    "HTTP/2 and TLS:\n"
    "  --url https://...  TLS (ALPN http/1.1, or h2 with --h2); certificates are not verified\n"
    "  --insecure         accepted for clarity: no verification is the only TLS mode\n"
    "  --h2               HTTP/2: h2c with prior knowledge for http://, ALPN h2 for https://\n"
    "  --streams-per-conn S  HTTP/2 streams per connection (default 100)\n"
    "  --h2-window BYTES  HTTP/2 stream and connection receive window (default 1073741824)\n"
    "Reconnect storm:\n"
    "  --storm            after the ramp and --warmup S of streaming, every connection drops at\n"
    "                     once and, --storm-down S later, all reconnect at once with\n"
    "                     Last-Event-ID = the last id each received (also after a stream ends);\n"
    "                     reports the time until all are back (the kernel receive time of\n"
    "                     each one's first event after the reconnect), recovery and server\n"
    "                     response (request sent -> that event) percentiles, gaps/dups across\n"
    "                     the storm, events replayed, and how long issuing the connects took. "
    "Ends\n"
    "                     --storm-after S after the last is back, at most --duration S after\n"
    "                     the reconnect (then --grace S to catch up)\n"
    "  --storm-down S     seconds every subscriber stays away (default 2)\n"
    "  --storm-after S    seconds observed after all are back (default 3)\n"
    "prints one JSON object with the merged results to stdout\n";

bool parseDouble(const char* text, double min, double max, double* out) {
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value >= min && value <= max)) return false;
  *out = value;
  return true;
}

bool parseUint(const char* text, uint64_t min, uint64_t max, uint64_t* out) {
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || *text == '-' || value < min || value > max) return false;
  *out = value;
  return true;
}

bool parseUrl(std::string_view url, Options* out) {
  constexpr std::string_view kScheme = "http://";
  constexpr std::string_view kTlsScheme = "https://";
  out->tls = url.substr(0, kTlsScheme.size()) == kTlsScheme;
  if (out->tls) {
    url.remove_prefix(kTlsScheme.size());
  } else if (url.substr(0, kScheme.size()) == kScheme) {
    url.remove_prefix(kScheme.size());
  } else {
    return false;
  }
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out->path_template = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  out->host_header = std::string(authority);
  std::string host(authority);
  uint64_t port = out->tls ? 443 : 80;
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    if (!parseUint(std::string(authority.substr(colon + 1)).c_str(), 1, 65535, &port)) {
      return false;
    }
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) return false;
  out->target = *reinterpret_cast<sockaddr_in*>(result->ai_addr);
  out->target.sin_port = htons(static_cast<uint16_t>(port));
  freeaddrinfo(result);
  return true;
}

bool parseSources(std::string_view spec, Options* out) {
  out->sources.clear();
  if (spec == "none") return true;
  uint32_t first = 0;
  uint32_t last = 0;
  size_t dash = spec.find('-');
  in_addr addr;
  if (dash != std::string_view::npos) {
    if (inet_pton(AF_INET, std::string(spec.substr(0, dash)).c_str(), &addr) != 1) return false;
    first = ntohl(addr.s_addr);
    if (inet_pton(AF_INET, std::string(spec.substr(dash + 1)).c_str(), &addr) != 1) return false;
    last = ntohl(addr.s_addr);
  } else {
    uint64_t count = 0;
    if (!parseUint(std::string(spec).c_str(), 1, 250, &count)) return false;
    first = 0x7f000002;
    last = first + static_cast<uint32_t>(count) - 1;
  }
  if (last < first || last - first > 65535) return false;
  for (uint32_t ip = first; ip <= last; ++ip) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl(ip);
    out->sources.push_back(source);
  }
  return true;
}

}  // namespace

bool parseOptions(int argc, char** argv, Options* out, int* exit_code) {
  *exit_code = 2;
  std::string sources = "auto";
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stderr);
      *exit_code = 0;
      return false;
    }
    if (flag == "--idle" || flag == "--quiet" || flag == "--storm") {
      (flag == "--idle" ? out->idle : flag == "--quiet" ? out->quiet : out->storm) = true;
      continue;
    }
    // HTTP/2 and TLS flags without a value.
    if (flag == "--h2" || flag == "--insecure") {
      if (flag == "--h2") out->h2 = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ssegate-loadgen: %s needs a value\n%s", argv[i], kUsage);
      return false;
    }
    const char* value = argv[++i];
    uint64_t number = 0;
    bool ok = true;
    if (flag == "--url") {
      out->url = value;
      ok = parseUrl(value, out);
    } else if (flag == "-n" || flag == "--subscribers") {
      ok = parseUint(value, 1, 10000000, &out->subscribers);
    } else if (flag == "--channels") {
      ok = parseUint(value, 1, 10000000, &out->channels);
    } else if (flag == "--procs") {
      ok = parseUint(value, 1, 64, &number);
      out->processes = static_cast<int>(number);
    } else if (flag == "--ramp") {
      ok = parseDouble(value, 0.1, 1e7, &out->ramp_per_s);
    } else if (flag == "--warmup") {
      ok = parseDouble(value, 0, 86400, &out->warmup_s);
    } else if (flag == "--duration") {
      ok = parseDouble(value, 0.1, 86400 * 7, &out->duration_s);
    } else if (flag == "--grace") {
      ok = parseDouble(value, 0, 3600, &out->grace_s);
    } else if (flag == "--progress") {
      ok = parseDouble(value, 0, 86400, &out->progress_s);
    } else if (flag == "--src") {
      sources = value;
    } else if (flag == "--retries") {
      ok = parseUint(value, 0, 1000000, &number);
      out->retries = static_cast<int>(number);
    } else if (flag == "--retry-delay") {
      ok = parseDouble(value, 0, 3600, &out->retry_delay_s);
    } else if (flag == "-H") {
      std::string_view header = value;
      ok = header.find(':') != std::string_view::npos &&
           header.find_first_of("\r\n") == std::string_view::npos;
      out->head_extra += std::string(header) + "\r\n";
    } else if (flag == "--streams-per-conn") {  // HTTP/2 and TLS
      ok = parseUint(value, 1, 1u << 20, &out->streams_per_conn);
    } else if (flag == "--storm-down") {  // reconnect storm
      ok = parseDouble(value, 0, 3600, &out->storm_down_s);
    } else if (flag == "--storm-after") {
      ok = parseDouble(value, 0, 3600, &out->storm_after_s);
    } else if (flag == "--h2-window") {
      ok = parseUint(value, 65535, 0x7fffffff, &number);
      out->h2_window = static_cast<int32_t>(number);
    } else {
      std::fprintf(stderr, "ssegate-loadgen: unknown flag %s\n%s", argv[i - 1], kUsage);
      return false;
    }
    if (!ok) {
      std::fprintf(stderr, "ssegate-loadgen: bad value for %s: %s\n", argv[i - 1], value);
      return false;
    }
  }
  if (out->url.empty()) {
    std::fprintf(stderr, "ssegate-loadgen: --url is required\n%s", kUsage);
    return false;
  }
  if (out->storm && out->idle) {
    std::fprintf(stderr, "ssegate-loadgen: --storm and --idle exclude each other\n");
    return false;
  }
  bool loopback = (ntohl(out->target.sin_addr.s_addr) >> 24) == 127;
  if (!parseSources(sources == "auto" ? (loopback ? "4" : "none") : sources, out)) {
    std::fprintf(stderr, "ssegate-loadgen: bad value for --src: %s\n", sources.c_str());
    return false;
  }
  return true;
}

std::string renderPath(const Options& options, uint64_t index) {
  std::string path;
  std::string_view rest = options.path_template;
  for (size_t pos; (pos = rest.find('{')) != std::string_view::npos;) {
    path.append(rest.substr(0, pos));
    rest.remove_prefix(pos);
    if (rest.substr(0, 3) == "{c}") {
      path += std::to_string(index % options.channels);
      rest.remove_prefix(3);
    } else if (rest.substr(0, 3) == "{i}") {
      path += std::to_string(index);
      rest.remove_prefix(3);
    } else {
      path.push_back('{');
      rest.remove_prefix(1);
    }
  }
  path.append(rest);
  return path;
}

}  // namespace loadgen
