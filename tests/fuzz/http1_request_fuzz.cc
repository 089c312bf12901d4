// Fuzz target: HTTP/1 request-head handling without sockets.
//
// Http1Connection (src/downstream/http1_connection.cc) is bound to a libuv TCP handle, so this
// drives the same pieces it is made of: llhttp (strict) with the same callback shape (URL, header
// field/value accumulation, headers-complete pausing the parser), the same head-size cap and
// URL split (origin-form or absolute-form, then path and query), then downstream::queryParam,
// percentDecode and Router::route on a router built from a fixed configuration.
//
// Input: byte 0 picks where the bytes are split into two llhttp_execute() calls; the rest is
// what a client sends. Checks (abort on failure): no crash or UB; a paused parser points inside
// the slice it was given; what strict llhttp hands over has no CR/LF in the URL, header names
// or values; decoded query values never hold CR, LF or NUL; a rendered upstream path starts
// with '/', never holds CR, LF, NUL or space, and has no "." or ".." segment.
#include <strings.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "downstream/http_util.h"
#include "downstream/router.h"
#include "llhttp.h"

namespace {

using ssegate::downstream::Router;

// As the gateway's default limits.max_request_header_bytes.
constexpr size_t kMaxHeadBytes = 16 * 1024;

constexpr char kConfig[] = R"(listeners:
  - address: 127.0.0.1:8080
upstreams:
  app:
    url: http://127.0.0.1:9000
  other:
    url: http://127.0.0.1:9001
identity:
  trusted_header: X-User
routes:
  - path: /events/special
    upstream: other
    upstream_path: /special-stream
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
  - path: /rooms/{room}/topics/{topic}
    upstream: other
    upstream_path: /feed/{topic}.json?room={room}&t={topic}
  - path: /me/notifications
    upstream: app
    upstream_path: /notifications/{user}
    auth: required
  - path: /u/{name}/{channel}
    upstream: app
    upstream_path: /users/{user}/{name}/{channel}?c={channel}
    auth: required
  - path: /
    upstream: other
    upstream_path: /root
)";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "http1_request_fuzz: %s\n", what.c_str());
  std::abort();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool hasAny(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

constexpr std::string_view kCrLf = "\r\n";
constexpr std::string_view kCrLfNulSp("\r\n\0 ", 4);
constexpr std::string_view kCrLfNul("\r\n\0", 3);

// The request head as the callbacks collect it (mirrors Http1Connection::Head).
struct Head {
  std::string url;
  std::string field;
  std::string value;
  bool in_value = false;
  std::string last_event_id;
  bool has_last_event_id = false;
  std::string user;
  int hosts = 0;
  bool complete = false;
};

void finishHeaderLine(Head& h) {
  if (hasAny(h.field, kCrLf) || hasAny(h.value, kCrLf)) {
    fail("strict llhttp passed a header with CR/LF: " + h.field);
  }
  if (iequals(h.field, "host")) {
    ++h.hosts;
  } else if (iequals(h.field, "last-event-id")) {
    if (!h.has_last_event_id) h.last_event_id = h.value;
    h.has_last_event_id = true;
  } else if (iequals(h.field, "x-user")) {
    h.user = h.value;
  }
}

Head& headOf(llhttp_t* p) {
  return *static_cast<Head*>(p->data);
}

int onUrl(llhttp_t* p, const char* at, size_t len) {
  headOf(p).url.append(at, len);
  return 0;
}

int onHeaderField(llhttp_t* p, const char* at, size_t len) {
  Head& h = headOf(p);
  if (h.in_value) {
    finishHeaderLine(h);
    h.in_value = false;
    h.field.clear();
    h.value.clear();
  }
  h.field.append(at, len);
  return 0;
}

int onHeaderValue(llhttp_t* p, const char* at, size_t len) {
  Head& h = headOf(p);
  h.in_value = true;
  h.value.append(at, len);
  return 0;
}

int onHeadersComplete(llhttp_t* p) {
  Head& h = headOf(p);
  if (h.in_value) finishHeaderLine(h);
  h.complete = true;
  return HPE_PAUSED;
}

const llhttp_settings_t& settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t v;
    llhttp_settings_init(&v);
    v.on_url = &onUrl;
    v.on_header_field = &onHeaderField;
    v.on_header_value = &onHeaderValue;
    v.on_headers_complete = &onHeadersComplete;
    return v;
  }();
  return s;
}

struct Fixture {
  std::shared_ptr<const ssegate::config::Config> config;
  std::unique_ptr<Router> router;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    ssegate::config::LoadResult r = ssegate::config::loadConfigString(kConfig, "fuzz.yaml");
    for (const auto& e : r.errors) std::fprintf(stderr, "%s\n", e.format().c_str());
    if (!r.ok()) fail("the fixed router configuration does not load");
    x.config = r.config;
    x.router = std::make_unique<Router>(*x.config);
    return x;
  }();
  return f;
}

void checkDecoders(std::string_view query) {
  std::string decoded;
  if (ssegate::downstream::percentDecode(query, &decoded)) {
    if (decoded.size() > query.size()) fail("percentDecode grew its input");
    if (!hasAny(query, "%+") && decoded != query) fail("percentDecode changed plain text");
  }
  for (std::string_view name : {"lastEventId", "access_token", "", "a"}) {
    const std::optional<std::string> v = ssegate::downstream::queryParam(query, name);
    if (v && hasAny(*v, kCrLfNul)) fail("queryParam returned CR/LF/NUL");
  }
}

void checkRoute(std::string_view path, std::string_view user) {
  Router::Match match;
  if (!fixture().router->route(path, user, &match)) return;
  const std::string& up = match.upstream_path;
  if (match.route == nullptr) fail("a match without a route");
  if (up.empty() || up.front() != '/') fail("upstream path does not start with '/': " + up);
  if (hasAny(up, kCrLfNulSp)) fail("upstream path holds CR/LF/NUL/space: " + up);
  const std::string_view up_path = std::string_view(up).substr(0, up.find('?'));
  size_t start = 1;
  while (start <= up_path.size()) {
    size_t end = up_path.find('/', start);
    if (end == std::string_view::npos) end = up_path.size();
    const std::string_view segment = up_path.substr(start, end - start);
    if (segment == "." || segment == "..") fail("upstream path has a dot-segment: " + up);
    start = end + 1;
  }
  if (match.channel_key != match.route->upstream + '\n' + up) fail("bad channel key");
}

// What Http1Connection::handleRequest does with the URL once the head is complete.
void handleHead(const Head& h) {
  if (hasAny(h.url, kCrLfNulSp)) fail("strict llhttp passed a URL with CR/LF/NUL/space");
  std::string_view url = h.url;
  if (url.empty() || url[0] != '/') {
    const size_t scheme = url.find("://");
    const size_t slash =
        scheme == std::string_view::npos ? std::string_view::npos : url.find('/', scheme + 3);
    if (slash == std::string_view::npos) return;  // 400
    url = url.substr(slash);
  }
  const size_t q = url.find('?');
  const std::string_view path = url.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : url.substr(q + 1);
  checkDecoders(query);
  checkDecoders(h.last_event_id);
  checkRoute(path, "");
  checkRoute(path, h.user);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  fixture();
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  const size_t len = size - 1 < kMaxHeadBytes ? size - 1 : kMaxHeadBytes;
  const size_t split = len * data[0] / 255;

  Head head;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings());
  parser.data = &head;
  llhttp_errno_t err = HPE_OK;
  const size_t starts[2] = {0, split};
  const size_t ends[2] = {split, len};
  for (int i = 0; i < 2 && err == HPE_OK && !head.complete; ++i) {
    const char* chunk = bytes + starts[i];
    const size_t chunk_len = ends[i] - starts[i];
    err = llhttp_execute(&parser, chunk, chunk_len);
    if (err == HPE_PAUSED) {
      if (!head.complete) fail("paused before the head was complete");
      const char* pos = llhttp_get_error_pos(&parser);
      if (pos < chunk || pos > chunk + chunk_len) fail("error position outside the slice");
    }
  }
  if (head.complete) handleHead(head);
  // The decoders and the router also get raw bytes, not only what llhttp let through.
  const std::string_view raw(bytes, len);
  checkDecoders(raw);
  checkRoute(raw.substr(0, raw.find('?')), raw.substr(0, split));
  return 0;
}
