#include "config/config_checks.h"

#include <algorithm>
#include <string>

#include "config/path_template.h"

namespace ssegate::config::detail {
namespace {

std::string indexed(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

// Reports "<path>: message" at the position remembered for `path` (or its closest ancestor).
void report(Reader& r, const std::string& path, std::string_view message) {
  r.error(r.markOf(path), path + ": " + std::string(message));
}

bool contains(const std::vector<Protocol>& protocols, Protocol p) {
  return std::find(protocols.begin(), protocols.end(), p) != protocols.end();
}

bool isWildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::";
}

// Two sockets that cannot both be bound: same port and same or wildcard host.
bool addressesClash(const Address& a, const Address& b) {
  if (a.port == 0 || b.port == 0 || a.port != b.port) return false;
  return a.host == b.host || isWildcard(a.host) || isWildcard(b.host);
}

void checkListeners(Reader& r, Config& c) {
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    Listener& l = c.listeners[i];
    const std::string path = indexed("listeners", i);
    if (!r.has(path + ".protocols")) {
      l.protocols = l.tls ? std::vector<Protocol>{Protocol::kH2, Protocol::kHttp1}
                          : std::vector<Protocol>{Protocol::kHttp1};
    }
    if (!l.tls && contains(l.protocols, Protocol::kH2)) {
      report(r, path + ".protocols", "h2 needs tls; use h2c for cleartext HTTP/2");
    }
    if (l.tls && contains(l.protocols, Protocol::kH2c)) {
      report(r, path + ".protocols", "h2c is cleartext HTTP/2; with tls use h2");
    }
    for (size_t j = 0; j < i; ++j) {
      if (addressesClash(l.address, c.listeners[j].address)) {
        report(r, path + ".address",
               "address " + l.address.text + " clashes with listeners[" + std::to_string(j) +
                   "] (" + c.listeners[j].address.text + ")");
        break;
      }
    }
  }
  if (!c.admin) return;
  for (size_t j = 0; j < c.listeners.size(); ++j) {
    if (addressesClash(c.admin->address, c.listeners[j].address)) {
      report(r, "admin.address",
             "address " + c.admin->address.text + " clashes with listeners[" + std::to_string(j) +
                 "] (" + c.listeners[j].address.text + ")");
      break;
    }
  }
}

void checkUpstreams(Reader& r, Config& c) {
  for (const auto& [name, u] : c.upstreams) {
    const std::string path = "upstreams." + name;
    if (u.reconnect.initial_delay > u.reconnect.max_delay && !r.failedAt(path + ".reconnect")) {
      const std::string key = r.has(path + ".reconnect.initial_delay")
                                  ? path + ".reconnect.initial_delay"
                                  : path + ".reconnect.max_delay";
      report(r, key, "reconnect.initial_delay must not exceed reconnect.max_delay");
    }
  }
}

// "/a/{x}/b" and "/a/{y}/b" match the same requests: compare with variable names erased.
std::string routeShape(const std::string& path) {
  std::string shape;
  bool in_variable = false;
  for (char ch : path) {
    if (ch == '{') in_variable = true;
    if (!in_variable) shape.push_back(ch);
    if (ch == '}') {
      in_variable = false;
      shape += "{}";
    }
  }
  return shape;
}

bool hasIdentitySource(const Identity& identity) {
  return identity.jwt || !identity.trusted_header.empty() || identity.auth_request;
}

void checkRoutes(Reader& r, Config& c) {
  std::vector<std::string> shapes;
  for (size_t i = 0; i < c.routes.size(); ++i) {
    const Route& route = c.routes[i];
    const std::string path = indexed("routes", i);

    // A broken upstreams section was reported already; "unknown upstream" would only echo it.
    if (!route.upstream.empty() && c.upstreams.count(route.upstream) == 0 &&
        !r.failedAt("upstreams", /*include_below=*/false)) {
      std::string known;
      for (const auto& entry : c.upstreams) known += (known.empty() ? "" : ", ") + entry.first;
      report(r, path + ".upstream",
             "unknown upstream \"" + route.upstream + "\"" +
                 (known.empty() ? std::string(" (no upstreams defined)")
                                : " (defined: " + known + ")"));
    }
    if (route.auth != AuthMode::kNone && !hasIdentitySource(c.identity) &&
        !r.failedAt("identity")) {
      report(r, path + ".auth",
             "auth needs an identity source (identity.jwt, identity.trusted_header or "
             "identity.auth_request)");
    }

    // Both templates were validated by readConfig; empty means that failed and was reported.
    if (route.path.empty()) continue;
    const auto path_template = PathTemplate::compile(route.path, nullptr);
    if (!path_template) continue;
    const std::string shape = routeShape(route.path);
    const auto first = std::find(shapes.begin(), shapes.end(), shape);
    if (first != shapes.end()) {
      const size_t j = static_cast<size_t>(first - shapes.begin());
      report(r, path + ".path",
             "duplicate route path \"" + route.path + "\" (same as routes[" + std::to_string(j) +
                 "] at line " + std::to_string(c.routes[j].line) + ")");
    }
    shapes.push_back(shape);
    if (path_template->hasVariable("user")) {
      report(r, path + ".path",
             "{user} is reserved for the subscriber's identity and cannot be captured from the "
             "path");
    }

    if (route.upstream_path.empty()) continue;
    const auto upstream_template = PathTemplate::compileUpstream(route.upstream_path, nullptr);
    if (!upstream_template) continue;
    for (const std::string& name : upstream_template->variables()) {
      if (name == "user") {
        if (route.auth != AuthMode::kRequired && !r.failedAt(path + ".auth")) {
          report(r, path + ".upstream_path",
                 "{user} needs \"auth: required\" on the route (every subscriber must have an "
                 "identity)");
        }
      } else if (!path_template->hasVariable(name)) {
        std::string captures;
        for (const std::string& v : path_template->variables()) {
          captures += (captures.empty() ? "{" : ", {") + v + "}";
        }
        report(r, path + ".upstream_path",
               "{" + name + "} is neither captured by path \"" + route.path + "\" nor {user}" +
                   (captures.empty() ? std::string() : " (captures: " + captures + ")"));
      }
    }
  }
}

bool containsAlgorithm(const std::vector<std::string>& algorithms, std::string_view name) {
  return std::find(algorithms.begin(), algorithms.end(), name) != algorithms.end();
}

void checkIdentity(Reader& r, Config& c) {
  if (!c.identity.jwt) return;
  Jwt& jwt = *c.identity.jwt;
  const bool has_secret = !jwt.secret_file.empty();
  const bool has_public_key = !jwt.public_key_file.empty();
  if (!has_secret && !has_public_key) {
    report(r, "identity.jwt", "needs secret_file (HS256) or public_key_file (RS256, ES256)");
    return;
  }
  if (r.failedAt("identity.jwt.algorithms")) return;  // already reported
  if (!r.has("identity.jwt.algorithms")) {
    // Default: every algorithm for which a key is configured.
    jwt.algorithms.clear();
    if (has_secret) jwt.algorithms.emplace_back("HS256");
    if (has_public_key) {
      jwt.algorithms.emplace_back("RS256");
      jwt.algorithms.emplace_back("ES256");
    }
    return;
  }
  if (containsAlgorithm(jwt.algorithms, "HS256") && !has_secret) {
    report(r, "identity.jwt.algorithms", "HS256 needs identity.jwt.secret_file");
  }
  if ((containsAlgorithm(jwt.algorithms, "RS256") || containsAlgorithm(jwt.algorithms, "ES256")) &&
      !has_public_key) {
    report(r, "identity.jwt.algorithms", "RS256 and ES256 need identity.jwt.public_key_file");
  }
}

void checkCors(Reader& r, Config& c) {
  const auto& origins = c.cors.allow_origins;
  if (c.cors.allow_credentials && std::find(origins.begin(), origins.end(), "*") != origins.end()) {
    report(r, "cors.allow_credentials",
           "cannot be true with allow_origins \"*\" (browsers reject credentials for \"*\")");
  }
}

void checkLimits(Reader& r, Config& c) {
  const SubscriberBuffer& b = c.limits.subscriber_buffer;
  if (b.soft_bytes > b.hard_bytes && !r.failedAt("limits.subscriber_buffer")) {
    const std::string key = r.has("limits.subscriber_buffer.soft_bytes")
                                ? "limits.subscriber_buffer.soft_bytes"
                                : "limits.subscriber_buffer.hard_bytes";
    report(r, key, "soft_bytes must not exceed hard_bytes");
  }
}

// The cross-key rules, run in order. Each may also fill defaults that depend on other keys.
struct CrossCheck {
  const char* name;
  void (*run)(Reader& r, Config& c);
};

constexpr CrossCheck kCrossChecks[] = {
    {"listeners", checkListeners}, {"upstreams", checkUpstreams}, {"routes", checkRoutes},
    {"identity", checkIdentity},   {"cors", checkCors},           {"limits", checkLimits},
};

}  // namespace

void checkConfig(Reader& r, Config& config) {
  for (const CrossCheck& check : kCrossChecks) check.run(r, config);
}

}  // namespace ssegate::config::detail
