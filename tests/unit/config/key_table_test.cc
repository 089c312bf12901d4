// Keeps the key table honest: every documented default equals the default of config.h, and
// every key of the table is accepted where the table says it lives.
#include "config/key_table.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "config/config_loader.h"
#include "config/config_schema.h"

namespace ssegate::config {
namespace {

constexpr char kBase[] = R"(listeners:
  - address: 127.0.0.1:8080
upstreams:
  app:
    url: http://127.0.0.1:9000
routes:
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
identity:
  jwt: { secret_file: /s, algorithms: [HS256] }
  auth_request: { url: "http://127.0.0.1:9000/auth" }
)";

// Defaults that are prose rather than a value (they depend on other keys).
const std::set<std::string> kDescriptiveDefaults = {
    "listeners[].protocols",
    "identity.jwt.algorithms",
    "routes[].max_connections_per_user",
};

// Walks "a.b[].c.*.d" into `root`, creating maps, and returns the node for the last component.
YAML::Node nodeAt(YAML::Node root, const std::string& path) {
  YAML::Node node = root;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    std::string part = path.substr(start, dot - start);
    const bool list = part.size() > 2 && part.compare(part.size() - 2, 2, "[]") == 0;
    if (list) part.resize(part.size() - 2);
    if (part == "*") part = "app";  // the only upstream of kBase
    node.reset(node[part]);
    if (list) node.reset(node[0]);
    start = dot + 1;
  }
  return node;
}

TEST(KeyTableTest, DocumentedDefaultsEqualStructDefaults) {
  const LoadResult base = loadConfigString(kBase, "base.yaml");
  ASSERT_TRUE(base.ok()) << (base.errors.empty() ? "" : base.errors[0].format());
  int checked = 0;
  for (const detail::KeyInfo& key : detail::describeKeys()) {
    if (key.default_text.empty() || kDescriptiveDefaults.count(key.path) != 0) continue;
    YAML::Node root = YAML::Load(kBase);
    YAML::Node target = nodeAt(root, key.path);
    target = YAML::Load(std::string(key.default_text));
    YAML::Emitter out;
    out << root;
    const LoadResult explicit_default = loadConfigString(out.c_str(), "base.yaml");
    ASSERT_TRUE(explicit_default.ok())
        << key.path << ": " << explicit_default.errors[0].format() << "\n"
        << out.c_str();
    Config expected = *base.config;
    Config actual = *explicit_default.config;
    // Source lines move when the YAML is re-emitted; they are not part of the comparison.
    for (Route& r : expected.routes) r.line = 0;
    for (Route& r : actual.routes) r.line = 0;
    EXPECT_TRUE(actual == expected)
        << key.path << " documented default " << key.default_text << " differs from config.h";
    ++checked;
  }
  EXPECT_GE(checked, 34);
}

TEST(KeyTableTest, DescribesEveryDesignKey) {
  std::set<std::string> paths;
  for (const detail::KeyInfo& key : detail::describeKeys()) paths.insert(key.path);
  for (const char* expected : {"workers",
                               "listeners[].address",
                               "listeners[].protocols",
                               "listeners[].tls.certificate",
                               "listeners[].tls.private_key",
                               "admin.address",
                               "upstreams.*.url",
                               "upstreams.*.connect_timeout",
                               "upstreams.*.idle_timeout",
                               "upstreams.*.reconnect.initial_delay",
                               "upstreams.*.reconnect.max_delay",
                               "upstreams.*.headers",
                               "upstreams.*.tls.verify",
                               "upstreams.*.tls.ca_file",
                               "upstreams.*.tls.server_name",
                               "routes[].path",
                               "routes[].upstream",
                               "routes[].upstream_path",
                               "routes[].keepalive_interval",
                               "routes[].retry",
                               "routes[].linger",
                               "routes[].replay.max_events",
                               "routes[].replay.max_age",
                               "routes[].auth",
                               "routes[].max_connections_per_user",
                               "identity.jwt.sources",
                               "identity.jwt.query_param",
                               "identity.jwt.cookie",
                               "identity.jwt.algorithms",
                               "identity.jwt.secret_file",
                               "identity.jwt.public_key_file",
                               "identity.jwt.issuer",
                               "identity.jwt.audience",
                               "identity.jwt.user_claim",
                               "identity.jwt.channels_claim",
                               "identity.trusted_header",
                               "identity.auth_request.url",
                               "identity.auth_request.user_header",
                               "identity.auth_request.timeout",
                               "identity.auth_request.cache_ttl",
                               "cors.allow_origins",
                               "cors.allow_credentials",
                               "http2.max_concurrent_streams",
                               "http2.initial_window_size",
                               "limits.max_connections",
                               "limits.max_connections_per_user",
                               "limits.max_connections_per_ip",
                               "limits.max_channels",
                               "limits.max_request_header_bytes",
                               "limits.request_header_timeout",
                               "limits.max_event_bytes",
                               "limits.subscriber_buffer.soft_bytes",
                               "limits.subscriber_buffer.soft_timeout",
                               "limits.subscriber_buffer.hard_bytes",
                               "limits.drain_timeout"}) {
    EXPECT_EQ(paths.count(expected), 1u) << expected;
  }
}

TEST(KeyTableTest, RequiredKeys) {
  std::set<std::string> required;
  for (const detail::KeyInfo& key : detail::describeKeys()) {
    if (key.required) required.insert(key.path);
  }
  EXPECT_EQ(required, (std::set<std::string>{
                          "listeners", "listeners[].address", "listeners[].tls.certificate",
                          "listeners[].tls.private_key", "admin.address", "upstreams",
                          "upstreams.*.url", "routes", "routes[].path", "routes[].upstream",
                          "routes[].upstream_path", "identity.auth_request.url"}));
}

TEST(KeyTableTest, ReaderPathsAndMarks) {
  detail::Reader r("f.yaml");
  YAML::Mark mark;
  mark.line = 4;
  mark.column = 2;
  {
    detail::Reader::Scope routes(r, "routes");
    detail::Reader::Scope item(r, size_t{3});
    EXPECT_EQ(r.path(), "routes[3]");
    r.remember(mark);
    detail::Reader::Scope key(r, "replay");
    EXPECT_EQ(r.path(), "routes[3].replay");
    r.errorHere(mark, "bad");
  }
  EXPECT_EQ(r.path(), "");
  EXPECT_EQ(r.markOf("routes[3].replay.max_events").line, 4);  // falls back to routes[3]
  EXPECT_TRUE(r.markOf("listeners").is_null());
  EXPECT_TRUE(r.failedAt("routes[3]"));
  EXPECT_TRUE(r.failedAt("routes"));
  EXPECT_FALSE(r.failedAt("routes", /*include_below=*/false));
  EXPECT_FALSE(r.failedAt("routes[3].replay.max_events"));
  EXPECT_FALSE(r.failedAt("route"));
  EXPECT_TRUE(r.hasValid("routes[3]") == false);
  const auto errors = r.takeErrors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].format(), "f.yaml:5:3: routes[3].replay: bad");
}

}  // namespace
}  // namespace ssegate::config
