// Every class of configuration error, each with the FILE:LINE:COLUMN it must point at.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config_loader.h"
#include "unit/config/config_test_util.h"

namespace ssegate::config {
namespace {

using namespace ssegate::config::test_util;  // NOLINT: test helpers

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

}  // namespace
}  // namespace ssegate::config
