#include "downstream/router.h"

namespace ssegate::downstream {

Router::Router(const config::Config& config) {
  for (const config::Route& r : config.routes) {
    auto path = config::PathTemplate::compile(r.path, nullptr);
    auto up = config::PathTemplate::compileUpstream(r.upstream_path, nullptr);
    if (!path || !up) continue;  // the loader already rejected such a config
    entries_.push_back(Entry{&r, std::move(*path), std::move(*up)});
  }
}

bool Router::route(std::string_view path, std::string_view user, Match* out) const {
  config::PathTemplate::Captures captures;
  for (const Entry& e : entries_) {
    if (!e.path.match(path, &captures)) continue;
    std::string user_value(user);
    out->route = e.route;
    out->upstream_path = e.upstream_path.render([&](std::string_view name) -> const std::string* {
      if (name == "user") return &user_value;
      for (const auto& [k, v] : captures) {
        if (k == name) return &v;
      }
      return nullptr;
    });
    out->channel_key = e.route->upstream + '\n' + out->upstream_path;
    return true;
  }
  return false;
}

}  // namespace ssegate::downstream
