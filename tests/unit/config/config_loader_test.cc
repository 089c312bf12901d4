#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssegate::config {
namespace {

using std::chrono::milliseconds;

constexpr char kMinimal[] = R"(listeners:
  - address: 127.0.0.1:8080
upstreams:
  app:
    url: http://127.0.0.1:9000
routes:
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
)";

LoadResult load(const std::string& yaml) {
  return loadConfigString(yaml, "test.yaml");
}

std::vector<std::string> errorsOf(const std::string& yaml) {
  std::vector<std::string> out;
  for (const ConfigError& e : load(yaml).errors) out.push_back(e.format());
  return out;
}

// Loads kMinimal with `extra` appended (top-level keys).
std::vector<std::string> errorsWith(const std::string& extra) {
  return errorsOf(std::string(kMinimal) + extra);
}

std::shared_ptr<const Config> loadOk(const std::string& yaml) {
  LoadResult result = load(yaml);
  for (const ConfigError& e : result.errors) ADD_FAILURE() << e.format();
  EXPECT_TRUE(result.ok());
  return result.config;
}

TEST(ConfigErrorTest, Format) {
  EXPECT_EQ((ConfigError{"a.yaml", 3, 7, "bad"}).format(), "a.yaml:3:7: bad");
  EXPECT_EQ((ConfigError{"a.yaml", 0, 0, "cannot open"}).format(), "a.yaml: cannot open");
}

TEST(ConfigLoaderTest, MinimalConfigGetsDefaults) {
  auto config = loadOk(kMinimal);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->file, "test.yaml");
  EXPECT_EQ(config->workers, 0u);
  ASSERT_EQ(config->listeners.size(), 1u);
  const Listener& listener = config->listeners[0];
  EXPECT_EQ(listener.address.host, "127.0.0.1");
  EXPECT_EQ(listener.address.port, 8080);
  EXPECT_EQ(listener.address.text, "127.0.0.1:8080");
  EXPECT_EQ(listener.protocols, std::vector<Protocol>{Protocol::kHttp1});
  EXPECT_FALSE(listener.tls);
  EXPECT_FALSE(config->admin);

  ASSERT_EQ(config->upstreams.count("app"), 1u);
  const Upstream& app = config->upstreams.at("app");
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.url, "http://127.0.0.1:9000");
  EXPECT_FALSE(app.https);
  EXPECT_EQ(app.host, "127.0.0.1");
  EXPECT_EQ(app.port, 9000);
  EXPECT_EQ(app.connect_timeout, milliseconds(5000));
  EXPECT_EQ(app.idle_timeout, milliseconds(60000));
  EXPECT_EQ(app.reconnect, Reconnect{});
  EXPECT_EQ(app.reconnect.initial_delay, milliseconds(100));
  EXPECT_EQ(app.reconnect.max_delay, milliseconds(30000));
  EXPECT_TRUE(app.headers.empty());
  EXPECT_EQ(app.tls, UpstreamTls{});
  EXPECT_TRUE(app.tls.verify);

  ASSERT_EQ(config->routes.size(), 1u);
  const Route& route = config->routes[0];
  EXPECT_EQ(route.path, "/events/{channel}");
  EXPECT_EQ(route.upstream, "app");
  EXPECT_EQ(route.upstream_path, "/stream/{channel}");
  EXPECT_EQ(route.keepalive_interval, milliseconds(15000));
  EXPECT_EQ(route.retry, milliseconds(3000));
  EXPECT_EQ(route.linger, milliseconds(30000));
  EXPECT_EQ(route.replay.max_events, 1000u);
  EXPECT_EQ(route.replay.max_age, milliseconds(300000));
  EXPECT_EQ(route.auth, AuthMode::kNone);
  EXPECT_FALSE(route.max_connections_per_user);
  EXPECT_EQ(route.line, 7);

  EXPECT_EQ(config->identity, Identity{});
  EXPECT_EQ(config->cors, Cors{});
  EXPECT_TRUE(config->cors.allow_origins.empty());
  EXPECT_FALSE(config->cors.allow_credentials);
  EXPECT_EQ(config->http2.max_concurrent_streams, 128u);
  EXPECT_EQ(config->http2.initial_window_size, 1024u * 1024);

  const Limits& limits = config->limits;
  EXPECT_EQ(limits, Limits{});
  EXPECT_EQ(limits.max_connections, 50000u);
  EXPECT_EQ(limits.max_connections_per_user, 10u);
  EXPECT_EQ(limits.max_connections_per_ip, 0u);
  EXPECT_EQ(limits.max_channels, 100000u);
  EXPECT_EQ(limits.max_request_header_bytes, 16u * 1024);
  EXPECT_EQ(limits.request_header_timeout, milliseconds(10000));
  EXPECT_EQ(limits.max_event_bytes, 1024u * 1024);
  EXPECT_EQ(limits.subscriber_buffer.soft_bytes, 256u * 1024);
  EXPECT_EQ(limits.subscriber_buffer.soft_timeout, milliseconds(10000));
  EXPECT_EQ(limits.subscriber_buffer.hard_bytes, 1024u * 1024);
  EXPECT_EQ(limits.drain_timeout, milliseconds(30000));
}

// Every key with a non-default value.
constexpr char kFull[] = R"(workers: 8
listeners:
  - address: "[::]:8443"
    protocols: [http1, h2]
    tls:
      certificate: /etc/ssegate/tls.crt
      private_key: /etc/ssegate/tls.key
  - address: 0.0.0.0:8080
    protocols: [h2c, http1]
admin:
  address: "[::1]:9901"
upstreams:
  app:
    url: https://app.internal:8443/
    connect_timeout: 2s
    idle_timeout: 90s
    reconnect: { initial_delay: 250ms, max_delay: 1m }
    headers:
      Authorization: "Bearer service-token"
      X-Trace: "on"
    tls: { verify: false, ca_file: /etc/ca.pem, server_name: app.example.com }
  v6:
    url: http://[fd00::1]
routes:
  - path: /me/notifications
    upstream: app
    upstream_path: /notifications/{user}
    keepalive_interval: 100ms
    retry: 0s
    linger: 0s
    replay: { max_events: 0, max_age: 1h }
    auth: required
    max_connections_per_user: 5
  - path: /t/{tenant}/{channel}
    upstream: v6
    upstream_path: /stream/{tenant}/{channel}.json?src=gw
    auth: optional
identity:
  jwt:
    sources: [cookie, header]
    query_param: token
    cookie: session
    algorithms: [RS256]
    secret_file: /etc/ssegate/jwt.secret
    public_key_file: /etc/ssegate/jwt.pem
    issuer: https://auth.example.com
    audience: events
    user_claim: uid
    channels_claim: chans
  trusted_header: X-User-Id
  auth_request:
    url: http://127.0.0.1:9000/auth?x=1
    user_header: X-Auth-User
    timeout: 500ms
    cache_ttl: 0s
cors:
  allow_origins: ["https://app.example.com", "http://localhost:3000"]
  allow_credentials: true
http2:
  max_concurrent_streams: 10000
  initial_window_size: 2147483647
limits:
  max_connections: 100
  max_connections_per_user: 3
  max_connections_per_ip: 7
  max_channels: 9
  max_request_header_bytes: 8KiB
  request_header_timeout: 5s
  max_event_bytes: 64KiB
  subscriber_buffer: { soft_bytes: 1MB, soft_timeout: 0s, hard_bytes: 2MiB }
  drain_timeout: 1m
)";

TEST(ConfigLoaderTest, EveryKeyIsParsed) {
  auto config = loadOk(kFull);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->workers, 8u);

  ASSERT_EQ(config->listeners.size(), 2u);
  const Listener& tls = config->listeners[0];
  EXPECT_EQ(tls.address.host, "::");
  EXPECT_EQ(tls.address.port, 8443);
  EXPECT_EQ(tls.address.text, "[::]:8443");
  EXPECT_EQ(tls.protocols, (std::vector<Protocol>{Protocol::kHttp1, Protocol::kH2}));
  ASSERT_TRUE(tls.tls);
  EXPECT_EQ(tls.tls->certificate, "/etc/ssegate/tls.crt");
  EXPECT_EQ(tls.tls->private_key, "/etc/ssegate/tls.key");
  const Listener& plain = config->listeners[1];
  EXPECT_EQ(plain.protocols, (std::vector<Protocol>{Protocol::kH2c, Protocol::kHttp1}));
  EXPECT_FALSE(plain.tls);
  ASSERT_TRUE(config->admin);
  EXPECT_EQ(config->admin->address.host, "::1");
  EXPECT_EQ(config->admin->address.port, 9901);

  const Upstream& app = config->upstreams.at("app");
  EXPECT_TRUE(app.https);
  EXPECT_EQ(app.host, "app.internal");
  EXPECT_EQ(app.port, 8443);
  EXPECT_EQ(app.connect_timeout, milliseconds(2000));
  EXPECT_EQ(app.idle_timeout, milliseconds(90000));
  EXPECT_EQ(app.reconnect.initial_delay, milliseconds(250));
  EXPECT_EQ(app.reconnect.max_delay, milliseconds(60000));
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization", "Bearer service-token"}, {"X-Trace", "on"}};
  EXPECT_EQ(app.headers, headers);
  EXPECT_FALSE(app.tls.verify);
  EXPECT_EQ(app.tls.ca_file, "/etc/ca.pem");
  EXPECT_EQ(app.tls.server_name, "app.example.com");
  const Upstream& v6 = config->upstreams.at("v6");
  EXPECT_EQ(v6.host, "fd00::1");
  EXPECT_EQ(v6.port, 80);

  ASSERT_EQ(config->routes.size(), 2u);
  const Route& me = config->routes[0];
  EXPECT_EQ(me.keepalive_interval, milliseconds(100));
  EXPECT_EQ(me.retry, milliseconds(0));
  EXPECT_EQ(me.linger, milliseconds(0));
  EXPECT_EQ(me.replay.max_events, 0u);
  EXPECT_EQ(me.replay.max_age, milliseconds(3600000));
  EXPECT_EQ(me.auth, AuthMode::kRequired);
  EXPECT_EQ(me.max_connections_per_user, 5u);
  EXPECT_EQ(me.line, 25);
  const Route& tenant = config->routes[1];
  EXPECT_EQ(tenant.upstream_path, "/stream/{tenant}/{channel}.json?src=gw");
  EXPECT_EQ(tenant.auth, AuthMode::kOptional);
  EXPECT_EQ(tenant.line, 34);

  ASSERT_TRUE(config->identity.jwt);
  const Jwt& jwt = *config->identity.jwt;
  EXPECT_EQ(jwt.sources, (std::vector<JwtSource>{JwtSource::kCookie, JwtSource::kHeader}));
  EXPECT_EQ(jwt.query_param, "token");
  EXPECT_EQ(jwt.cookie, "session");
  EXPECT_EQ(jwt.algorithms, std::vector<std::string>{"RS256"});
  EXPECT_EQ(jwt.secret_file, "/etc/ssegate/jwt.secret");
  EXPECT_EQ(jwt.public_key_file, "/etc/ssegate/jwt.pem");
  EXPECT_EQ(jwt.issuer, "https://auth.example.com");
  EXPECT_EQ(jwt.audience, "events");
  EXPECT_EQ(jwt.user_claim, "uid");
  EXPECT_EQ(jwt.channels_claim, "chans");
  EXPECT_EQ(config->identity.trusted_header, "X-User-Id");
  ASSERT_TRUE(config->identity.auth_request);
  EXPECT_EQ(config->identity.auth_request->url, "http://127.0.0.1:9000/auth?x=1");
  EXPECT_EQ(config->identity.auth_request->user_header, "X-Auth-User");
  EXPECT_EQ(config->identity.auth_request->timeout, milliseconds(500));
  EXPECT_EQ(config->identity.auth_request->cache_ttl, milliseconds(0));

  EXPECT_EQ(config->cors.allow_origins,
            (std::vector<std::string>{"https://app.example.com", "http://localhost:3000"}));
  EXPECT_TRUE(config->cors.allow_credentials);
  EXPECT_EQ(config->http2.max_concurrent_streams, 10000u);
  EXPECT_EQ(config->http2.initial_window_size, 2147483647u);

  const Limits& limits = config->limits;
  EXPECT_EQ(limits.max_connections, 100u);
  EXPECT_EQ(limits.max_connections_per_user, 3u);
  EXPECT_EQ(limits.max_connections_per_ip, 7u);
  EXPECT_EQ(limits.max_channels, 9u);
  EXPECT_EQ(limits.max_request_header_bytes, 8u * 1024);
  EXPECT_EQ(limits.request_header_timeout, milliseconds(5000));
  EXPECT_EQ(limits.max_event_bytes, 64u * 1024);
  EXPECT_EQ(limits.subscriber_buffer.soft_bytes, 1000000u);
  EXPECT_EQ(limits.subscriber_buffer.soft_timeout, milliseconds(0));
  EXPECT_EQ(limits.subscriber_buffer.hard_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(limits.drain_timeout, milliseconds(60000));
}

TEST(ConfigLoaderTest, TlsListenerDefaultsToH2ThenHttp1) {
  auto config = loadOk(R"(listeners:
  - address: 0.0.0.0:8443
    tls: { certificate: a.crt, private_key: a.key }
upstreams: { app: { url: "http://a" } }
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->listeners[0].protocols,
            (std::vector<Protocol>{Protocol::kH2, Protocol::kHttp1}));
}

TEST(ConfigLoaderTest, JwtAlgorithmsDefaultToConfiguredKeys) {
  auto config = loadOk(std::string(kMinimal) + "identity: { jwt: { secret_file: /s } }\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->identity.jwt->algorithms, std::vector<std::string>{"HS256"});
  config = loadOk(std::string(kMinimal) + "identity: { jwt: { public_key_file: /p } }\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->identity.jwt->algorithms, (std::vector<std::string>{"RS256", "ES256"}));
}

TEST(ConfigLoaderTest, SizesAcceptIntegersAndUnits) {
  auto config = loadOk(std::string(kMinimal) +
                       "limits: { max_request_header_bytes: 2048, max_event_bytes: \"2MiB\" }\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->limits.max_request_header_bytes, 2048u);
  EXPECT_EQ(config->limits.max_event_bytes, 2u * 1024 * 1024);
}

TEST(ConfigLoaderTest, DesignExampleLoads) {
  // The example of DESIGN.md A3, verbatim apart from the comments.
  auto config = loadOk(R"(workers: auto
listeners:
  - address: 0.0.0.0:8080
    protocols: [http1, h2c]
  - address: 0.0.0.0:8443
    protocols: [h2, http1]
    tls:
      certificate: /etc/ssegate/tls.crt
      private_key: /etc/ssegate/tls.key
admin:
  address: 127.0.0.1:9901
upstreams:
  app:
    url: http://127.0.0.1:9000
    connect_timeout: 5s
    idle_timeout: 60s
    reconnect: { initial_delay: 100ms, max_delay: 30s }
    headers: { Authorization: "Bearer service-token" }
    tls: { verify: true, ca_file: /etc/ssl/certs/ca-certificates.crt, server_name: app.internal }
routes:
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
    keepalive_interval: 15s
    retry: 3s
    linger: 30s
    replay: { max_events: 1000, max_age: 5m }
    auth: none
    max_connections_per_user: 5
identity:
  jwt:
    sources: [header, query, cookie]
    query_param: access_token
    cookie: ssegate_token
    algorithms: [HS256, RS256, ES256]
    secret_file: /etc/ssegate/jwt.secret
    public_key_file: /etc/ssegate/jwt.pem
    issuer: https://auth.example.com
    audience: events
    user_claim: sub
    channels_claim: channels
  trusted_header: X-User-Id
  auth_request:
    url: http://127.0.0.1:9000/auth
    user_header: X-User-Id
    timeout: 2s
    cache_ttl: 30s
cors:
  allow_origins: ["https://app.example.com"]
  allow_credentials: true
http2:
  max_concurrent_streams: 128
  initial_window_size: 1MiB
limits:
  max_connections: 50000
  max_connections_per_user: 10
  max_connections_per_ip: 0
  max_channels: 100000
  max_request_header_bytes: 16KiB
  request_header_timeout: 10s
  max_event_bytes: 1MiB
  subscriber_buffer: { soft_bytes: 256KiB, soft_timeout: 10s, hard_bytes: 1MiB }
  drain_timeout: 30s
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->limits, Limits{});
  EXPECT_EQ(config->http2, Http2{});
}

TEST(ConfigLoaderTest, ShippedConfigIsValid) {
  // tests/unit/config/<this file> -> conf/ssegate.yaml, without help from the build system.
  const std::string self = __FILE__;
  const size_t cut = self.rfind("tests/unit/config/");
  ASSERT_NE(cut, std::string::npos) << self;
  const std::string path = self.substr(0, cut) + "conf/ssegate.yaml";
  LoadResult result = loadConfigFile(path);
  for (const ConfigError& e : result.errors) ADD_FAILURE() << e.format();
  ASSERT_TRUE(result.ok());
  const Config& config = *result.config;
  EXPECT_EQ(config.file, path);
  EXPECT_EQ(config.workers, 0u);
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0].address.text, "127.0.0.1:8080");
  EXPECT_EQ(config.listeners[0].protocols, std::vector<Protocol>{Protocol::kHttp1});
  ASSERT_TRUE(config.admin);
  EXPECT_EQ(config.admin->address.text, "127.0.0.1:9901");
  ASSERT_EQ(config.upstreams.count("demo"), 1u);
  EXPECT_EQ(config.upstreams.at("demo").port, 9000);
  ASSERT_EQ(config.routes.size(), 1u);
  EXPECT_EQ(config.routes[0].path, "/events/{channel}");
  EXPECT_EQ(config.routes[0].upstream, "demo");
  EXPECT_EQ(config.routes[0].upstream_path, "/stream/{channel}");
  EXPECT_EQ(config.routes[0].replay.max_events, 1000u);
  EXPECT_EQ(config.routes[0].replay.max_age, milliseconds(300000));
  EXPECT_FALSE(config.identity.jwt);
  EXPECT_FALSE(config.listeners[0].tls);
  // The limits section spells out the defaults.
  EXPECT_EQ(config.limits, Limits{});
}

TEST(ConfigLoaderTest, LoadFileErrors) {
  LoadResult missing = loadConfigFile("/nonexistent/ssegate.yaml");
  EXPECT_FALSE(missing.ok());
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].format(),
            "/nonexistent/ssegate.yaml: cannot open: No such file or directory");
  LoadResult directory = loadConfigFile("/");
  ASSERT_EQ(directory.errors.size(), 1u);
  EXPECT_EQ(directory.errors[0].format(), "/: cannot read: not a regular file");
}

// ---- Errors: each names FILE:LINE:COLUMN of the offending key or value. ----

using Errors = std::vector<std::string>;

TEST(ConfigLoaderErrorsTest, UnknownKeys) {
  EXPECT_EQ(errorsWith("limitz:\n  x: 1\n"),
            Errors{"test.yaml:10:1: unknown key \"limitz\" (did you mean \"limits\"?)"});
  EXPECT_EQ(errorsWith("limits:\n  max_conections: 5\n  bogus: 1\n"),
            (Errors{"test.yaml:11:3: unknown key \"max_conections\" in limits (did you mean "
                    "\"max_connections\"?)",
                    "test.yaml:12:3: unknown key \"bogus\" in limits"}));
  EXPECT_EQ(errorsWith("    replay: { max_event: 5 }\n"),
            Errors{"test.yaml:10:15: unknown key \"max_event\" in routes[0].replay (did you mean "
                   "\"max_events\"?)"});
  EXPECT_EQ(errorsWith("? [a, b]\n: 1\n"),
            Errors{"test.yaml:10:3: keys must be plain strings, got a list"});
}

TEST(ConfigLoaderErrorsTest, WrongTypes) {
  EXPECT_EQ(errorsWith("limits: [1, 2]\n"),
            Errors{"test.yaml:10:9: limits: expected a map, got a list"});
  EXPECT_EQ(errorsWith("limits:\n  drain_timeout: abc\n"),
            Errors{"test.yaml:11:18: limits.drain_timeout: invalid duration \"abc\" (expected "
                   "e.g. \"250ms\", \"15s\", \"5m\", \"1h\")"});
  EXPECT_EQ(errorsWith("limits:\n  drain_timeout: 30\n"),
            Errors{"test.yaml:11:18: limits.drain_timeout: duration \"30\" needs a unit: ms, s, "
                   "m or h (e.g. \"30s\")"});
  EXPECT_EQ(errorsWith("limits:\n  drain_timeout: [1]\n"),
            Errors{"test.yaml:11:18: limits.drain_timeout: expected a duration such as \"15s\", "
                   "got a list"});
  EXPECT_EQ(errorsWith("limits:\n  drain_timeout: -5s\n"),
            Errors{"test.yaml:11:18: limits.drain_timeout: duration must not be negative: "
                   "\"-5s\""});
  EXPECT_EQ(errorsWith("cors:\n  allow_credentials: yes\n"),
            Errors{"test.yaml:11:22: cors.allow_credentials: expected true or false, got "
                   "\"yes\""});
  EXPECT_EQ(errorsWith("limits:\n  max_connections: -1\n"),
            Errors{"test.yaml:11:20: limits.max_connections: integer must not be negative: "
                   "\"-1\""});
  EXPECT_EQ(errorsWith("limits:\n  max_connections: 1.5\n"),
            Errors{"test.yaml:11:20: limits.max_connections: invalid integer \"1.5\""});
  EXPECT_EQ(errorsWith("limits:\n  max_connections: { a: 1 }\n"),
            Errors{"test.yaml:11:20: limits.max_connections: expected an integer, got a map"});
  EXPECT_EQ(errorsWith("limits:\n  max_event_bytes: 1 MiB\n"),
            Errors{"test.yaml:11:20: limits.max_event_bytes: invalid size unit in \"1 MiB\" "
                   "(expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"});
  EXPECT_EQ(errorsWith("cors:\n  allow_origins: https://a.example\n"),
            Errors{"test.yaml:11:18: cors.allow_origins: expected a list, got "
                   "\"https://a.example\""});
}

TEST(ConfigLoaderErrorsTest, OutOfRange) {
  EXPECT_EQ(errorsWith("http2: { max_concurrent_streams: 0 }\n"),
            Errors{"test.yaml:10:34: http2.max_concurrent_streams: 0 is out of range (1..10000)"});
  EXPECT_EQ(errorsWith("http2:\n  initial_window_size: 2GiB\n"),
            Errors{"test.yaml:11:24: http2.initial_window_size: 2GiB is too large (at most "
                   "2147483647)"});
  EXPECT_EQ(errorsWith("limits:\n  max_event_bytes: 512\n"),
            Errors{"test.yaml:11:20: limits.max_event_bytes: 512 is too small (at least 1KiB)"});
  EXPECT_EQ(errorsWith("limits:\n  max_connections: 99999999999999999999999\n"),
            Errors{"test.yaml:11:20: limits.max_connections: integer out of range: "
                   "\"99999999999999999999999\""});
  EXPECT_EQ(errorsWith("    keepalive_interval: 50ms\n"),
            Errors{"test.yaml:10:25: routes[0].keepalive_interval: 50ms is too short (at least "
                   "100ms)"});
  EXPECT_EQ(errorsWith("    replay: { max_events: 1000001 }\n"),
            Errors{"test.yaml:10:27: routes[0].replay.max_events: 1000001 is out of range "
                   "(0..1000000)"});
  EXPECT_EQ(errorsWith("    auth: maybe\n"),
            Errors{"test.yaml:10:11: routes[0].auth: invalid value \"maybe\" (expected one of "
                   "none, optional, or required)"});
  EXPECT_EQ(errorsWith("    max_connections_per_user: 0\n"),
            Errors{"test.yaml:10:31: routes[0].max_connections_per_user: 0 is out of range "
                   "(1..1000000)"});
  EXPECT_EQ(errorsWith("limits:\n  subscriber_buffer: { soft_bytes: 2MiB, hard_bytes: 1MiB }\n"),
            Errors{"test.yaml:11:36: limits.subscriber_buffer.soft_bytes: soft_bytes must not "
                   "exceed hard_bytes"});
  EXPECT_EQ(errorsWith("limits:\n  subscriber_buffer: { hard_bytes: 128KiB }\n"),
            Errors{"test.yaml:11:36: limits.subscriber_buffer.hard_bytes: soft_bytes must not "
                   "exceed hard_bytes"});
}

TEST(ConfigLoaderErrorsTest, Workers) {
  EXPECT_EQ(errorsWith("workers: 0\n"),
            Errors{"test.yaml:10:10: workers: expected \"auto\" or 1..256, got \"0\""});
  EXPECT_EQ(errorsWith("workers: 257\n"),
            Errors{"test.yaml:10:10: workers: expected \"auto\" or 1..256, got \"257\""});
  EXPECT_EQ(errorsWith("workers: many\n"),
            Errors{"test.yaml:10:10: workers: expected \"auto\" or 1..256, got \"many\""});
  EXPECT_EQ(errorsWith("workers: [1]\n"),
            Errors{"test.yaml:10:10: workers: expected \"auto\" or a number of threads, got a "
                   "list"});
  EXPECT_EQ(loadOk(std::string(kMinimal) + "workers: 256\n")->workers, 256u);
}

TEST(ConfigLoaderErrorsTest, MissingRequiredKeys) {
  EXPECT_EQ(errorsOf("workers: 2\n"), (Errors{"test.yaml:1:1: missing required key \"listeners\"",
                                              "test.yaml:1:1: missing required key \"upstreams\"",
                                              "test.yaml:1:1: missing required key \"routes\""}));
  EXPECT_EQ(errorsOf(R"(listeners: []
upstreams: { app: { url: "http://a" } }
routes:
  - keepalive_interval: 15s
)"),
            (Errors{"test.yaml:1:12: listeners: must not be empty",
                    "test.yaml:4:5: routes[0]: missing required key \"path\"",
                    "test.yaml:4:5: routes[0]: missing required key \"upstream\"",
                    "test.yaml:4:5: routes[0]: missing required key \"upstream_path\""}));
  EXPECT_EQ(errorsOf(R"(listeners:
  - address: 127.0.0.1:8443
    tls:
      certificate: a.crt
upstreams: { app: { connect_timeout: 1s } }
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
)"),
            (Errors{"test.yaml:4:7: listeners[0].tls: missing required key \"private_key\"",
                    "test.yaml:5:19: upstreams.app: missing required key \"url\""}));
  EXPECT_EQ(errorsWith("admin: {}\n"),
            Errors{"test.yaml:10:8: admin: missing required key \"address\""});
}

TEST(ConfigLoaderErrorsTest, EmptyValuesPointAtTheKey) {
  EXPECT_EQ(errorsOf(R"(listeners:
  - address: 127.0.0.1:8080
upstreams: { app: { url: "http://a" } }
routes:
  - path:
    upstream: app
    upstream_path: ""
limits:
)"),
            (Errors{"test.yaml:5:5: routes[0].path: expected a string, got an empty value",
                    "test.yaml:7:20: routes[0].upstream_path: must not be empty",
                    "test.yaml:8:1: limits: expected a map, got an empty value"}));
}

TEST(ConfigLoaderErrorsTest, DuplicateKeys) {
  EXPECT_EQ(errorsWith("workers: 2\nworkers: 3\n"),
            Errors{"test.yaml:11:1: workers: duplicate key (first written at line 10)"});
  EXPECT_EQ(errorsWith("    upstream: app\n"),
            Errors{"test.yaml:10:5: routes[0].upstream: duplicate key (first written at line 8)"});
}

std::string withListener(const std::string& listener) {
  return "listeners:\n" + listener + R"(upstreams: { app: { url: "http://a" } }
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
)";
}

std::vector<std::string> addressErrors(const std::string& address) {
  return errorsOf(withListener("  - address: \"" + address + "\"\n"));
}

TEST(ConfigLoaderErrorsTest, ListenerAddresses) {
  EXPECT_EQ(addressErrors("localhost"),
            Errors{"test.yaml:2:14: listeners[0].address: address \"localhost\" needs a port "
                   "(\"host:port\", IPv6 as \"[::1]:8080\")"});
  EXPECT_EQ(addressErrors("::1:8080"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"::1:8080\": IPv6 "
                   "addresses must be written in brackets, e.g. \"[::1]:8080\""});
  EXPECT_EQ(addressErrors("1.2.3.4:70000"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"1.2.3.4:70000\": "
                   "invalid port \"70000\" (expected 1..65535)"});
  EXPECT_EQ(addressErrors("1.2.3.4:0"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"1.2.3.4:0\": invalid "
                   "port \"0\" (expected 1..65535)"});
  EXPECT_EQ(addressErrors("[::1:80"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"[::1:80\": missing "
                   "']' in IPv6 address"});
  EXPECT_EQ(addressErrors("[zz::1]:80"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"[zz::1]:80\": "
                   "invalid IPv6 address \"zz::1\""});
  EXPECT_EQ(addressErrors(":8080"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \":8080\": missing "
                   "host"});
  EXPECT_EQ(addressErrors("999.1.1.1:80"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"999.1.1.1:80\": "
                   "invalid host \"999.1.1.1\""});
  EXPECT_EQ(addressErrors("[::1]x"),
            Errors{"test.yaml:2:14: listeners[0].address: invalid address \"[::1]x\": unexpected "
                   "text after the host"});
  for (const char* good : {"[::1]:8080", "[::]:80", "[2001:db8::1]:443", "localhost:80",
                           "gw-1.example.com:8080", "0.0.0.0:65535"}) {
    EXPECT_EQ(addressErrors(good), Errors{}) << good;
  }
}

TEST(ConfigLoaderTest, Ipv6Addresses) {
  auto config = loadOk(withListener("  - address: \"[2001:db8::1]:443\"\n") +
                       "admin: { address: \"[::1]:9901\" }\n");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->listeners[0].address.host, "2001:db8::1");
  EXPECT_EQ(config->listeners[0].address.port, 443);
  EXPECT_EQ(config->listeners[0].address.text, "[2001:db8::1]:443");
  EXPECT_EQ(config->admin->address.host, "::1");
  config = loadOk(R"(listeners: [ { address: "[::]:8080" } ]
upstreams: { app: { url: "https://[fd00::2]:8443" } }
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->upstreams.at("app").host, "fd00::2");
  EXPECT_EQ(config->upstreams.at("app").port, 8443);
  EXPECT_TRUE(config->upstreams.at("app").https);
}

TEST(ConfigLoaderErrorsTest, Protocols) {
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    protocols: [http1, h2]\n")),
            Errors{"test.yaml:3:16: listeners[0].protocols: h2 needs tls; use h2c for cleartext "
                   "HTTP/2"});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:443\n    protocols: [h2c]\n"
                                  "    tls: { certificate: c, private_key: k }\n")),
            Errors{"test.yaml:3:16: listeners[0].protocols: h2c is cleartext HTTP/2; with tls "
                   "use h2"});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    protocols: []\n")),
            Errors{"test.yaml:3:16: listeners[0].protocols: must not be empty"});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    protocols: [http1, http1]\n")),
            Errors{"test.yaml:3:24: listeners[0].protocols[1]: duplicate value \"http1\""});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    protocols: [http3]\n")),
            Errors{"test.yaml:3:17: listeners[0].protocols[0]: invalid value \"http3\" (expected "
                   "one of http1, h2c, or h2)"});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    protocols: http1\n")),
            Errors{"test.yaml:3:16: listeners[0].protocols: expected a list, got \"http1\""});
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n    tls: [a]\n")),
            Errors{"test.yaml:3:10: listeners[0].tls: expected a map, got a list"});
}

TEST(ConfigLoaderErrorsTest, AddressClashes) {
  EXPECT_EQ(errorsOf(withListener("  - address: 0.0.0.0:80\n  - address: 127.0.0.1:80\n"
                                  "  - address: 127.0.0.1:81\n") +
                     "admin: { address: \"127.0.0.1:81\" }\n"),
            (Errors{"test.yaml:3:14: listeners[1].address: address 127.0.0.1:80 clashes with "
                    "listeners[0] (0.0.0.0:80)",
                    "test.yaml:7:19: admin.address: address 127.0.0.1:81 clashes with "
                    "listeners[2] (127.0.0.1:81)"}));
}

std::string withUpstream(const std::string& upstream_body) {
  return R"(listeners: [ { address: "127.0.0.1:8080" } ]
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
upstreams:
  app:
)" + upstream_body;
}

TEST(ConfigLoaderErrorsTest, Upstreams) {
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a:9000/stream\n")),
            Errors{"test.yaml:5:10: upstreams.app.url: url \"http://a:9000/stream\" must not have "
                   "a path or query; routes set it with upstream_path"});
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a?x=1\n")),
            Errors{"test.yaml:5:10: upstreams.app.url: url \"http://a?x=1\" must not have a path "
                   "or query; routes set it with upstream_path"});
  EXPECT_EQ(errorsOf(withUpstream("    url: ftp://a\n")),
            Errors{"test.yaml:5:10: upstreams.app.url: url \"ftp://a\" must start with http:// "
                   "or https://"});
  EXPECT_EQ(errorsOf(withUpstream("    url: http://user:pw@a\n")),
            Errors{"test.yaml:5:10: upstreams.app.url: url \"http://user:pw@a\" must not contain "
                   "user information"});
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a:99999\n")),
            Errors{"test.yaml:5:10: upstreams.app.url: invalid url \"http://a:99999\": invalid "
                   "port \"99999\" (expected 1..65535)"});
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a\n    reconnect: { initial_delay: 1m, "
                                  "max_delay: 30s }\n")),
            Errors{"test.yaml:6:33: upstreams.app.reconnect.initial_delay: "
                   "reconnect.initial_delay must not exceed reconnect.max_delay"});
  EXPECT_EQ(errorsOf(withUpstream("    url: https://a\n    tls: { server_name: \"a b\" }\n")),
            Errors{"test.yaml:6:25: upstreams.app.tls.server_name: invalid host name \"a b\""});
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a\n    idle_timeout: 0s\n")),
            Errors{"test.yaml:6:19: upstreams.app.idle_timeout: 0s is too short (at least "
                   "100ms)"});
  EXPECT_EQ(errorsOf(R"(listeners: [ { address: "127.0.0.1:8080" } ]
routes: [ { path: /x, upstream: "bad name", upstream_path: /x } ]
upstreams:
  bad name: { url: "http://a" }
)"),
            // Only the root cause: no derived "unknown upstream" for the route.
            Errors{"test.yaml:4:3: upstreams: invalid name \"bad name\" (use letters, digits, "
                   "'_', '-', '.')"});
  EXPECT_EQ(errorsOf(R"(listeners: [ { address: "127.0.0.1:8080" } ]
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
upstreams: [ app ]
)"),
            Errors{"test.yaml:3:12: upstreams: expected a map of names, got a list"});
  EXPECT_EQ(errorsOf(R"(listeners: [ { address: "127.0.0.1:8080" } ]
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
upstreams: {}
)"),
            Errors{"test.yaml:2:33: routes[0].upstream: unknown upstream \"app\" (no upstreams "
                   "defined)"});
}

TEST(ConfigLoaderErrorsTest, UpstreamHeaders) {
  EXPECT_EQ(errorsOf(withUpstream(R"(    url: http://a
    headers:
      "Bad Name": x
      X-Ok: "line\r\nInjected: yes"
      Content-Length: "5"
      x-dup: a
      X-Dup: b
      X-List: [a]
)")),
            (Errors{"test.yaml:7:7: upstreams.app.headers: \"Bad Name\" is not a valid HTTP "
                    "header name",
                    "test.yaml:8:13: upstreams.app.headers.X-Ok: header value must not contain "
                    "CR, LF or other control characters",
                    "test.yaml:9:7: upstreams.app.headers.Content-Length: header "
                    "\"Content-Length\" is managed by ssegate and cannot be set",
                    "test.yaml:11:7: upstreams.app.headers.X-Dup: duplicate header \"X-Dup\"",
                    "test.yaml:12:15: upstreams.app.headers.X-List: expected a header value, got "
                    "a list"}));
  EXPECT_EQ(errorsOf(withUpstream("    url: http://a\n    headers: [a]\n")),
            Errors{"test.yaml:6:14: upstreams.app.headers: expected a map of header names to "
                   "values, got a list"});
}

std::string withRoutes(const std::string& routes, const std::string& extra = "") {
  return R"(listeners: [ { address: "127.0.0.1:8080" } ]
upstreams: { app: { url: "http://a" } }
routes:
)" + routes +
         extra;
}

TEST(ConfigLoaderErrorsTest, Routes) {
  EXPECT_EQ(errorsOf(withRoutes("  - { path: /x, upstream: nope, upstream_path: /x }\n")),
            Errors{"test.yaml:4:27: routes[0].upstream: unknown upstream \"nope\" (defined: "
                   "app)"});
  // In flow style, '{' must be quoted; in block style it need not be.
  EXPECT_EQ(errorsOf(withRoutes("  - { path: \"/a/{x}\", upstream: app, upstream_path: /s }\n"
                                "  - { path: /b, upstream: app, upstream_path: /b }\n"
                                "  - path: /a/{y}\n    upstream: app\n    upstream_path: /s\n")),
            Errors{"test.yaml:6:11: routes[2].path: duplicate route path \"/a/{y}\" (same as "
                   "routes[0] at line 4)"});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /events/{channel}\n    upstream: app\n"
                                "    upstream_path: /stream/{chanel}\n")),
            Errors{"test.yaml:6:20: routes[0].upstream_path: {chanel} is neither captured by "
                   "path \"/events/{channel}\" nor {user} (captures: {channel})"});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /me\n    upstream: app\n"
                                "    upstream_path: /n/{user}\n")),
            Errors{"test.yaml:6:20: routes[0].upstream_path: {user} needs \"auth: required\" on "
                   "the route (every subscriber must have an identity)"});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /me\n    upstream: app\n"
                                "    upstream_path: /n/{user}\n    auth: required\n")),
            Errors{"test.yaml:7:11: routes[0].auth: auth needs an identity source (identity.jwt, "
                   "identity.trusted_header or identity.auth_request)"});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /me\n    upstream: app\n"
                                "    upstream_path: /n/{user}\n    auth: required\n",
                                "identity: { trusted_header: X-User }\n")),
            Errors{});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /u/{user}\n    upstream: app\n"
                                "    upstream_path: /n/{user}\n    auth: required\n",
                                "identity: { trusted_header: X-User }\n")),
            Errors{"test.yaml:4:11: routes[0].path: {user} is reserved for the subscriber's "
                   "identity and cannot be captured from the path"});
  EXPECT_EQ(errorsOf(withRoutes("  - path: /a/{x}.json\n    upstream: app\n"
                                "    upstream_path: stream\n")),
            (Errors{"test.yaml:4:11: routes[0].path: invalid path \"/a/{x}.json\": a variable "
                    "must be a whole path segment at position 4",
                    "test.yaml:6:20: routes[0].upstream_path: invalid upstream_path \"stream\": "
                    "path template must start with '/'"}));
  EXPECT_EQ(errorsOf(withRoutes("  - path: /x\n    upstream: app\n    upstream_path: /x\n"
                                "    replay: 5\n")),
            Errors{"test.yaml:7:13: routes[0].replay: expected a map, got \"5\""});
  EXPECT_EQ(errorsOf(withRoutes("  {path: /x}\n")),
            Errors{"test.yaml:4:3: routes: expected a list, got a map"});
}

TEST(ConfigLoaderErrorsTest, Identity) {
  const std::string routes = "  - { path: /x, upstream: app, upstream_path: /x }\n";
  EXPECT_EQ(errorsOf(withRoutes(routes, "identity:\n  jwt: { issuer: me }\n")),
            Errors{"test.yaml:6:8: identity.jwt: needs secret_file (HS256) or public_key_file "
                   "(RS256, ES256)"});
  EXPECT_EQ(errorsOf(withRoutes(routes,
                                "identity:\n  jwt:\n    public_key_file: /k\n"
                                "    algorithms: [HS256, ES256]\n")),
            Errors{"test.yaml:8:17: identity.jwt.algorithms: HS256 needs "
                   "identity.jwt.secret_file"});
  EXPECT_EQ(errorsOf(withRoutes(routes,
                                "identity:\n  jwt:\n    secret_file: /k\n"
                                "    algorithms: [RS256]\n")),
            Errors{"test.yaml:8:17: identity.jwt.algorithms: RS256 and ES256 need "
                   "identity.jwt.public_key_file"});
  EXPECT_EQ(errorsOf(withRoutes(routes,
                                "identity:\n  jwt:\n    secret_file: /k\n"
                                "    algorithms: [none]\n    sources: [sms]\n"
                                "    cookie: \"a b\"\n")),
            (Errors{"test.yaml:8:18: identity.jwt.algorithms[0]: invalid value \"none\" "
                    "(expected one of HS256, RS256, or ES256)",
                    "test.yaml:9:15: identity.jwt.sources[0]: invalid value \"sms\" (expected one "
                    "of header, query, or cookie)",
                    "test.yaml:10:13: identity.jwt.cookie: \"a b\" is not a valid HTTP header "
                    "name"}));
  EXPECT_EQ(errorsOf(withRoutes(routes,
                                "identity:\n  trusted_header: \"X User\"\n"
                                "  auth_request: { timeout: 1s }\n")),
            (Errors{"test.yaml:6:19: identity.trusted_header: \"X User\" is not a valid HTTP "
                    "header name",
                    "test.yaml:7:17: identity.auth_request: missing required key \"url\""}));
  EXPECT_EQ(errorsOf(withRoutes(routes, "identity:\n  auth_request: { url: \"ftp://a/auth\" }\n")),
            Errors{"test.yaml:6:24: identity.auth_request.url: url \"ftp://a/auth\" must start "
                   "with http:// or https://"});
}

TEST(ConfigLoaderErrorsTest, Cors) {
  EXPECT_EQ(errorsWith("cors:\n  allow_origins: [\"*\"]\n  allow_credentials: true\n"),
            Errors{"test.yaml:12:22: cors.allow_credentials: cannot be true with allow_origins "
                   "\"*\" (browsers reject credentials for \"*\")"});
  EXPECT_EQ(errorsWith("cors:\n  allow_origins: [\"https://a.example/\", \"*\", \"x\"]\n"),
            (Errors{"test.yaml:11:19: cors.allow_origins[0]: origin \"https://a.example/\" must "
                    "not have a path or a trailing '/'",
                    "test.yaml:11:46: cors.allow_origins[2]: invalid origin: url \"x\" must start "
                    "with http:// or https://"}));
}

TEST(ConfigLoaderErrorsTest, YamlSyntaxErrorHasPosition) {
  EXPECT_EQ(errorsOf("listeners: [\n"), Errors{"test.yaml:2:1: end of sequence flow not found"});
  EXPECT_EQ(errorsOf("a:\n\tb: 1\n"), Errors{"test.yaml:2:3: illegal map value"});
  EXPECT_EQ(errorsOf("a: b: c\n"), Errors{"test.yaml:1:5: illegal map value"});
  EXPECT_EQ(errorsOf("a: *nope\n"), Errors{"test.yaml:1:4: the referenced anchor is not defined"});
}

TEST(ConfigLoaderErrorsTest, RootMustBeAMap) {
  EXPECT_EQ(errorsOf(""), Errors{"test.yaml:1:1: empty configuration: at least listeners, "
                                 "upstreams and routes are required"});
  EXPECT_EQ(errorsOf("# only a comment\n"),
            Errors{"test.yaml:1:1: empty configuration: at least listeners, upstreams and routes "
                   "are required"});
  EXPECT_EQ(errorsOf("- a\n- b\n"),
            Errors{"test.yaml:1:1: the configuration must be a map of keys (listeners, upstreams, "
                   "routes, ...), got a list"});
  EXPECT_EQ(errorsOf("just text\n"),
            Errors{"test.yaml:1:1: the configuration must be a map of keys (listeners, upstreams, "
                   "routes, ...), got \"just text\""});
  EXPECT_EQ(errorsOf(std::string(kMinimal) + "---\nworkers: 2\n"),
            Errors{"test.yaml:11:1: only one YAML document is allowed in a configuration file"});
  EXPECT_TRUE(load(std::string(kMinimal) + "---\n").ok());
}

TEST(ConfigLoaderErrorsTest, AllErrorsAreCollectedInFileOrder) {
  const LoadResult result = load(R"(workers: lots
listeners:
  - address: nowhere
    protocols: [h2]
upstreams:
  app: { url: "http://a/x", connect_timeout: 5 }
routes:
  - path: /events/{channel}
    upstream: ghost
    upstream_path: /stream/{topic}
    replay: { max_events: -1 }
limits:
  subscriber_buffer: { soft_bytes: 2MiB }
  max_channels: 0
  typo: 1
)");
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.config);
  Errors formatted;
  for (const ConfigError& e : result.errors) formatted.push_back(e.format());
  EXPECT_EQ(formatted,
            (Errors{
                "test.yaml:1:10: workers: expected \"auto\" or 1..256, got \"lots\"",
                "test.yaml:3:14: listeners[0].address: address \"nowhere\" needs a port "
                "(\"host:port\", IPv6 as \"[::1]:8080\")",
                "test.yaml:4:16: listeners[0].protocols: h2 needs tls; use h2c for cleartext "
                "HTTP/2",
                "test.yaml:6:15: upstreams.app.url: url \"http://a/x\" must not have a path or "
                "query; routes set it with upstream_path",
                "test.yaml:6:46: upstreams.app.connect_timeout: duration \"5\" needs a unit: ms, "
                "s, m or h (e.g. \"5s\")",
                "test.yaml:9:15: routes[0].upstream: unknown upstream \"ghost\" (defined: app)",
                "test.yaml:10:20: routes[0].upstream_path: {topic} is neither captured by path "
                "\"/events/{channel}\" nor {user} (captures: {channel})",
                "test.yaml:11:27: routes[0].replay.max_events: integer must not be negative: "
                "\"-1\"",
                "test.yaml:13:36: limits.subscriber_buffer.soft_bytes: soft_bytes must not exceed "
                "hard_bytes",
                "test.yaml:14:17: limits.max_channels: 0 is out of range (1..10000000)",
                "test.yaml:15:3: unknown key \"typo\" in limits",
            }));
  for (const ConfigError& e : result.errors) EXPECT_EQ(e.file, "test.yaml");
}

TEST(ConfigLoaderTest, AnchorsAndAliasesWork) {
  auto config = loadOk(R"(listeners: [ { address: "127.0.0.1:8080" } ]
upstreams:
  a: &common { url: "http://a", connect_timeout: 1s }
  b: *common
routes:
  - { path: "/a/{c}", upstream: a, upstream_path: "/s/{c}" }
  - { path: "/b/{c}", upstream: b, upstream_path: "/s/{c}" }
)");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->upstreams.at("b").connect_timeout, milliseconds(1000));
  EXPECT_EQ(config->upstreams.at("b").name, "b");
}

// Whatever the input, the loader returns (never throws) and every error has a position.
TEST(ConfigLoaderTest, EveryPrefixOfAValidFileLoadsOrFailsCleanly) {
  const std::string full = kFull;
  for (size_t n = 0; n <= full.size(); n += 3) {
    LoadResult result;
    ASSERT_NO_THROW(result = load(full.substr(0, n))) << n;
    EXPECT_NE(result.ok(), result.errors.empty() == false) << n;
    for (const ConfigError& e : result.errors) {
      EXPECT_GE(e.line, 1) << n << ": " << e.format();
      EXPECT_GE(e.column, 1) << n << ": " << e.format();
    }
  }
}

}  // namespace
}  // namespace ssegate::config
