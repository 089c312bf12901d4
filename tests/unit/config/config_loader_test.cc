#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/config/config_test_util.h"

namespace ssegate::config {
namespace {

using std::chrono::milliseconds;
using namespace ssegate::config::test_util;  // NOLINT: test helpers

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
  for (size_t n = 0; n <= full.size(); n += 5) {
    LoadResult result;
    ASSERT_NO_THROW(result = load(full.substr(0, n))) << n;
    EXPECT_EQ(result.ok(), result.errors.empty()) << n;
    for (const ConfigError& e : result.errors) {
      EXPECT_GE(e.line, 1) << n << ": " << e.format();
      EXPECT_GE(e.column, 1) << n << ": " << e.format();
    }
  }
}

TEST(ConfigLoaderTest, RandomMutationsNeverThrow) {
  const std::string full = kFull;
  const std::string alphabet = "{}[]:,-#&*!|>'\"\n\t %@`?0a";
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;  // deterministic LCG: reproducible failures
    return state >> 8;
  };
  for (int i = 0; i < 500; ++i) {
    std::string text = full;
    for (int edits = 1 + static_cast<int>(next() % 4); edits > 0; --edits) {
      text[next() % text.size()] = alphabet[next() % alphabet.size()];
    }
    LoadResult result;
    ASSERT_NO_THROW(result = load(text)) << text;
    EXPECT_EQ(result.ok(), result.errors.empty()) << text;
  }
}

TEST(ConfigLoaderTest, DeepNestingIsAnErrorNotACrash) {
  const LoadResult result = load("a: " + std::string(20000, '[') + "\n");
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.errors.empty());
}

}  // namespace
}  // namespace ssegate::config
