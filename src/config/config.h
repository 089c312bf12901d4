// The typed, immutable configuration (DESIGN A3). Built once by ConfigLoader and then shared
// read-only (std::shared_ptr<const Config>) by every thread; a reload builds a new one.
//
// Every duration is in milliseconds, every size in bytes. Values here are already validated:
// consumers never re-check ranges. Defaults are the values when a key is absent (the key table
// in config_schema.cc documents the same defaults; a unit test keeps them equal). operator== lets
// a reload tell what changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssegate::config {

using Millis = std::chrono::milliseconds;

enum class Protocol { kHttp1, kH2c, kH2 };
enum class AuthMode { kNone, kOptional, kRequired };
enum class JwtSource { kHeader, kQuery, kCookie };

// "host:port" split; IPv6 literals are written "[::1]:8080" and stored without brackets.
struct Address {
  std::string host;
  uint16_t port = 0;
  std::string text;  // as written in the file, for logs
  bool operator==(const Address&) const = default;
};

struct ServerTls {
  std::string certificate;  // PEM chain path
  std::string private_key;  // PEM key path
  bool operator==(const ServerTls&) const = default;
};

struct Listener {
  Address address;
  // In preference order (ALPN order with tls). Never empty after loading: the default is [http1]
  // without tls and [h2, http1] with tls.
  std::vector<Protocol> protocols;
  std::optional<ServerTls> tls;
  bool operator==(const Listener&) const = default;
};

struct Admin {
  Address address;
  bool operator==(const Admin&) const = default;
};

struct Reconnect {
  Millis initial_delay{100};
  Millis max_delay{30000};
  bool operator==(const Reconnect&) const = default;
};

struct UpstreamTls {
  bool verify = true;
  std::string ca_file;      // empty = system default store
  std::string server_name;  // empty = host of the url
  bool operator==(const UpstreamTls&) const = default;
};

struct Upstream {
  std::string name;
  std::string url;     // as written
  bool https = false;  // scheme
  std::string host;    // without brackets
  uint16_t port = 0;   // default 80/443 from the scheme
  Millis connect_timeout{5000};
  Millis idle_timeout{60000};
  Reconnect reconnect;
  std::vector<std::pair<std::string, std::string>> headers;  // in file order
  UpstreamTls tls;
  bool operator==(const Upstream&) const = default;
};

struct Replay {
  uint32_t max_events = 1000;  // 0 disables replay
  Millis max_age{300000};
  bool operator==(const Replay&) const = default;
};

struct Route {
  std::string path;           // template, e.g. /events/{channel}
  std::string upstream;       // key into Config::upstreams (checked to exist)
  std::string upstream_path;  // template; variables are path captures or {user}
  Millis keepalive_interval{15000};
  Millis retry{3000};
  Millis linger{30000};
  Replay replay;
  AuthMode auth = AuthMode::kNone;
  std::optional<uint32_t> max_connections_per_user;  // overrides limits.*
  int line = 0;                                      // where the route was written, for logs
  bool operator==(const Route&) const = default;
};

struct Jwt {
  std::vector<JwtSource> sources{JwtSource::kHeader, JwtSource::kQuery, JwtSource::kCookie};
  std::string query_param = "access_token";
  std::string cookie = "ssegate_token";
  // When absent from the file: the algorithms for which a key is configured (HS256 with
  // secret_file; RS256 and ES256 with public_key_file).
  std::vector<std::string> algorithms{"HS256", "RS256", "ES256"};
  std::string secret_file;
  std::string public_key_file;
  std::string issuer;
  std::string audience;
  std::string user_claim = "sub";
  std::string channels_claim;
  bool operator==(const Jwt&) const = default;
};

struct AuthRequest {
  std::string url;
  std::string user_header = "X-User-Id";
  Millis timeout{2000};
  Millis cache_ttl{30000};
  bool operator==(const AuthRequest&) const = default;
};

struct Identity {
  std::optional<Jwt> jwt;
  std::string trusted_header;  // empty = not used
  std::optional<AuthRequest> auth_request;
  bool operator==(const Identity&) const = default;
};

struct Cors {
  std::vector<std::string> allow_origins;
  bool allow_credentials = false;
  bool operator==(const Cors&) const = default;
};

struct Http2 {
  uint32_t max_concurrent_streams = 128;
  uint32_t initial_window_size = 1024 * 1024;
  bool operator==(const Http2&) const = default;
};

struct SubscriberBuffer {
  uint64_t soft_bytes = 256 * 1024;
  Millis soft_timeout{10000};
  uint64_t hard_bytes = 1024 * 1024;
  bool operator==(const SubscriberBuffer&) const = default;
};

struct Limits {
  uint32_t max_connections = 50000;
  uint32_t max_connections_per_user = 10;
  uint32_t max_connections_per_ip = 0;  // 0 = unlimited
  uint32_t max_channels = 100000;
  uint64_t max_request_header_bytes = 16 * 1024;
  Millis request_header_timeout{10000};
  uint64_t max_event_bytes = 1024 * 1024;
  SubscriberBuffer subscriber_buffer;
  Millis drain_timeout{30000};
  bool operator==(const Limits&) const = default;
};

struct Config {
  std::string file;      // path it was loaded from
  uint32_t workers = 0;  // 0 = auto (CPU count); resolved by the application, not the loader
  std::vector<Listener> listeners;
  std::optional<Admin> admin;
  std::map<std::string, Upstream> upstreams;
  std::vector<Route> routes;  // first match wins
  Identity identity;
  Cors cors;
  Http2 http2;
  Limits limits;
  bool operator==(const Config&) const = default;
};

}  // namespace ssegate::config
