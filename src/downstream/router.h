// Router: request path -> route, rendered upstream path and channel key (DESIGN A3 routes:
// first match wins). Immutable after construction; shared read-only by all workers.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/path_template.h"

namespace ssegate::downstream {

class Router {
 public:
  struct Match {
    const config::Route* route = nullptr;
    std::string upstream_path;
    std::string channel_key;  // upstream name + '\n' + upstream path: one upstream stream
  };

  // REQUIRES: a validated config (templates compile). `config` must outlive the router.
  explicit Router(const config::Config& config);

  // `path` without the query string. `user` is the subscriber's identity ("" if anonymous).
  bool route(std::string_view path, std::string_view user, Match* out) const;

 private:
  struct Entry {
    const config::Route* route;
    config::PathTemplate path;
    config::PathTemplate upstream_path;
  };
  std::vector<Entry> entries_;
};

}  // namespace ssegate::downstream
