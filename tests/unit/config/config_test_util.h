// Shared helpers for the loader tests: a minimal valid config and one-line error formatting.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.h"

namespace ssegate::config::test_util {

using Errors = std::vector<std::string>;

// Valid on its own; its route is the last thing in the file, so appending "    key: value"
// lines adds keys to routes[0], and appending unindented lines adds top-level keys (line 10).
inline constexpr char kMinimal[] = R"(listeners:
  - address: 127.0.0.1:8080
upstreams:
  app:
    url: http://127.0.0.1:9000
routes:
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
)";

inline LoadResult load(const std::string& yaml) {
  return loadConfigString(yaml, "test.yaml");
}

inline Errors errorsOf(const std::string& yaml) {
  Errors out;
  for (const ConfigError& e : load(yaml).errors) out.push_back(e.format());
  return out;
}

// Loads kMinimal with `extra` appended.
inline Errors errorsWith(const std::string& extra) {
  return errorsOf(std::string(kMinimal) + extra);
}

inline std::shared_ptr<const Config> loadOk(const std::string& yaml) {
  LoadResult result = load(yaml);
  for (const ConfigError& e : result.errors) ADD_FAILURE() << e.format();
  EXPECT_TRUE(result.ok());
  return result.config;
}

// A config whose listeners section is `listener` (list items, indented by two).
inline std::string withListener(const std::string& listener) {
  return "listeners:\n" + listener + R"(upstreams: { app: { url: "http://a" } }
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
)";
}

// A config whose upstream "app" has the body `upstream_body` (keys indented by four), line 5 on.
inline std::string withUpstream(const std::string& upstream_body) {
  return R"(listeners: [ { address: "127.0.0.1:8080" } ]
routes: [ { path: /x, upstream: app, upstream_path: /x } ]
upstreams:
  app:
)" + upstream_body;
}

// A config whose routes list is `routes` (from line 4), followed by `extra` top-level keys.
inline std::string withRoutes(const std::string& routes, const std::string& extra = "") {
  return R"(listeners: [ { address: "127.0.0.1:8080" } ]
upstreams: { app: { url: "http://a" } }
routes:
)" + routes +
         extra;
}

}  // namespace ssegate::config::test_util
