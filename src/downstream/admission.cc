#include "downstream/admission.h"

#include <strings.h>

#include <ctime>

#include "base/log.h"
#include "downstream/auth_request_client.h"
#include "downstream/cors.h"
#include "downstream/http_util.h"
#include "identity/glob.h"
#include "identity/token_source.h"
#include "worker/shared_state.h"
#include "worker/worker.h"

namespace ssegate::downstream {

namespace {
constexpr size_t kMaxLastEventIdBytes = 1024;
constexpr size_t kMaxUserBytes = 256;

Admission refuse(int status, Reject reason, std::string body, std::string headers = {}) {
  Admission a;
  a.status = status;
  a.reason = reason;
  a.body = std::move(body);
  a.headers = std::move(headers);
  return a;
}

// Who the subscriber is, once known.
struct Who {
  std::string user;  // "" = anonymous
  int64_t expires_at = 0;
  bool channels_restricted = false;
  std::vector<std::string> channel_globs;
};

// A user name from a header (trusted_header, auth_request's user_header): non-empty, bounded,
// no control bytes, so it can be rendered into a path and logged.
bool validUser(std::string_view user) {
  if (user.empty() || user.size() > kMaxUserBytes) return false;
  for (char c : user) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// All Cookie header fields joined with "; " (HTTP/2 may send several).
std::string joinedCookies(const StreamRequest& req) {
  std::string out;
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    if (!out.empty()) out += "; ";
    out += v;
  }
  return out;
}

// The decision's state that does not depend on the identity, carried across an auth subrequest.
struct Decision {
  std::shared_ptr<const DownstreamContext> ctx;
  std::string path;
  std::string last_id;
  std::string client_ip;
  std::string cors;        // CORS header lines for every answer to this request
  std::string log_target;  // the target with query tokens redacted
  const config::Route* route = nullptr;

  Admission fail(int status, Reject reason, std::string body, std::string extra = {}) const {
    return refuse(status, reason, std::move(body), cors + extra);
  }

  // Identity known: render the channel, check the channels claim and the caps.
  Admission complete(Who&& who) const {
    const config::Route& r = *route;
    if (r.auth == config::AuthMode::kRequired && who.user.empty()) {
      return fail(401, Reject::kUnauthorized, "authentication required",
                  "WWW-Authenticate: Bearer\r\n");
    }
    Router::Match match;
    if (!ctx->router->route(path, who.user, &match)) {
      return fail(404, Reject::kNotFound, "no route");  // cannot happen: it matched before
    }
    if (who.channels_restricted) {
      bool allowed = false;
      for (const std::string& g : who.channel_globs) {
        if (identity::globMatch(g, match.upstream_path)) {
          allowed = true;
          break;
        }
      }
      if (!allowed) {
        LOG_DEBUG("admission", "403 for " << log_target << ": channel " << match.upstream_path
                                          << " not in the token's channels");
        return fail(403, Reject::kForbidden, "channel not allowed");
      }
    }
    std::shared_ptr<void> slot;
    const config::Limits& limits = ctx->config->limits;
    worker::CapRegistry& caps = ctx->shared->caps;
    int64_t retry_s = (r.retry.count() + 999) / 1000;
    std::string retry_after = "Retry-After: " + std::to_string(retry_s > 0 ? retry_s : 1) + "\r\n";
    if (!who.user.empty()) {
      auto global = caps.acquire("u:" + who.user, limits.max_connections_per_user);
      if (!global) {
        LOG_DEBUG("admission", "429: user over limits.max_connections_per_user ("
                                   << limits.max_connections_per_user << ")");
        return fail(429, Reject::kUserCap, "too many connections for this user", retry_after);
      }
      if (r.max_connections_per_user) {
        auto per_route = caps.acquire("r:" + r.path + "\n" + who.user, *r.max_connections_per_user);
        if (!per_route) {
          LOG_DEBUG("admission", "429: user over max_connections_per_user of route "
                                     << r.path << " (" << *r.max_connections_per_user << ")");
          return fail(429, Reject::kUserCap, "too many connections for this user", retry_after);
        }
        slot = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(
            std::move(global), std::move(per_route));
      } else {
        slot = std::move(global);
      }
    } else if (limits.max_connections_per_ip != 0 && !client_ip.empty()) {
      slot = caps.acquire("i:" + client_ip, limits.max_connections_per_ip);
      if (!slot) {
        LOG_DEBUG("admission", "429: " << client_ip << " over limits.max_connections_per_ip ("
                                       << limits.max_connections_per_ip << ")");
        return fail(429, Reject::kIpCap, "too many connections from this address", retry_after);
      }
    }
    Admission a;
    a.route = match.route;
    a.user = std::move(who.user);
    a.slot = std::move(slot);
    a.expires_at_unix = who.expires_at;
    a.headers = cors;
    a.request.channel_key = std::move(match.channel_key);
    a.request.upstream = match.route->upstream;
    a.request.upstream_path = std::move(match.upstream_path);
    a.request.last_event_id = last_id;
    a.request.config = ctx->config;
    a.request.route = match.route;
    return a;
  }

  // The answer of the auth subrequest (fresh or cached).
  Admission onAuthAnswer(const identity::AuthAnswer& answer) const {
    if (answer.status >= 200 && answer.status < 300) {
      if (!validUser(answer.user)) {
        LOG_WARN("admission", "auth_request answered "
                                  << answer.status << " without a usable "
                                  << ctx->config->identity.auth_request->user_header
                                  << " header: refusing");
        return fail(503, Reject::kAuthUnavailable, "authentication unavailable");
      }
      Who who;
      who.user = answer.user;
      return complete(std::move(who));
    }
    if (answer.status == 401) {
      std::string www = answer.www_authenticate.empty() ? "Bearer" : answer.www_authenticate;
      return fail(401, Reject::kUnauthorized, "unauthorized", "WWW-Authenticate: " + www + "\r\n");
    }
    if (answer.status == 403) return fail(403, Reject::kForbidden, "forbidden");
    LOG_WARN("admission", "auth_request answered " << answer.status << ": refusing with 503");
    return fail(503, Reject::kAuthUnavailable, "authentication unavailable");
  }
};

int64_t monotonicMs() {
  return monotonicMicros() / 1000;
}

}  // namespace

std::shared_ptr<void> Admitter::admit(worker::Worker& worker,
                                      std::shared_ptr<const DownstreamContext> ctx,
                                      StreamRequest req, Done done) {
  const config::Config& cfg = *ctx->config;
  const std::string* origin = req.header("origin");
  if (req.method == "OPTIONS") {
    std::string headers = "Allow: GET, OPTIONS\r\n";
    if (req.header("access-control-request-method") != nullptr) {
      headers +=
          Cors::preflightHeaders(cfg.cors, origin, req.header("access-control-request-headers"));
    } else {
      headers += Cors::responseHeaders(cfg.cors, origin);
    }
    done(refuse(204, Reject::kMethod, "", std::move(headers)));
    return nullptr;
  }
  Decision d;
  d.ctx = ctx;
  d.cors = Cors::responseHeaders(cfg.cors, origin);
  if (req.method != "GET") {
    done(d.fail(405, Reject::kMethod, "method not allowed", "Allow: GET, OPTIONS\r\n"));
    return nullptr;
  }
  std::string_view url = req.target;
  if (url.empty() || url[0] != '/') {
    // absolute-form: http://host/path
    size_t scheme = url.find("://");
    size_t slash =
        scheme == std::string_view::npos ? std::string_view::npos : url.find('/', scheme + 3);
    if (slash == std::string_view::npos) {
      done(d.fail(400, Reject::kBadRequest, "bad request target"));
      return nullptr;
    }
    url = url.substr(slash);
  }
  size_t q = url.find('?');
  std::string_view path = url.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : url.substr(q + 1);
  d.log_target = cfg.identity.jwt ? identity::redactQuery(url, cfg.identity.jwt->query_param)
                                  : std::string(path);

  if (ctx->shared->draining.load(std::memory_order_relaxed)) {
    done(d.fail(503, Reject::kDraining, "shutting down"));
    return nullptr;
  }
  Router::Match match;
  if (!ctx->router->route(path, "", &match)) {
    done(d.fail(404, Reject::kNotFound, "no route"));
    return nullptr;
  }
  if (const std::string* h = req.header("last-event-id")) {
    d.last_id = *h;
  } else if (auto v = queryParam(query, "lastEventId")) {
    d.last_id = *v;
  }
  if (d.last_id.size() > kMaxLastEventIdBytes) {
    done(d.fail(400, Reject::kBadRequest, "Last-Event-ID too long"));
    return nullptr;
  }
  d.route = match.route;
  d.path = std::string(path);
  d.client_ip = req.client_ip;

  if (d.route->auth == config::AuthMode::kNone) {
    done(d.complete(Who{}));
    return nullptr;
  }

  // 1. A JWT, from the configured sources in order.
  if (ctx->jwt) {
    identity::HeaderLookup lookup =
        [&req](std::string_view name) -> std::optional<std::string_view> {
      std::string lower(name);
      for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      const std::string* v = req.header(lower);
      if (v == nullptr) return std::nullopt;
      return std::string_view(*v);
    };
    std::string cookies = joinedCookies(req);
    identity::HeaderLookup lookup_joined =
        [&](std::string_view name) -> std::optional<std::string_view> {
      if (name.size() == 6 && strncasecmp(name.data(), "cookie", 6) == 0) {
        if (cookies.empty()) return std::nullopt;
        return std::string_view(cookies);
      }
      return lookup(name);
    };
    if (auto token = identity::extractToken(*cfg.identity.jwt, lookup_joined, query)) {
      identity::VerifyResult v =
          ctx->jwt->verify(token->token, static_cast<int64_t>(time(nullptr)));
      if (!v.ok) {
        LOG_DEBUG("admission", "401 for " << d.log_target << ": " << v.error);
        done(d.fail(401, Reject::kUnauthorized, "invalid token",
                    "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"));
        return nullptr;
      }
      Who who;
      who.user = std::move(v.user);
      who.expires_at = v.expires_at;
      who.channels_restricted = v.channels_restricted;
      who.channel_globs = std::move(v.channel_globs);
      done(d.complete(std::move(who)));
      return nullptr;
    }
  }

  // 2. A header set by a trusted proxy in front.
  if (!cfg.identity.trusted_header.empty()) {
    std::string lower = cfg.identity.trusted_header;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (const std::string* user = req.header(lower); user != nullptr && !user->empty()) {
      if (!validUser(*user)) {
        done(d.fail(400, Reject::kBadRequest, "bad identity header"));
        return nullptr;
      }
      Who who;
      who.user = *user;
      done(d.complete(std::move(who)));
      return nullptr;
    }
  }

  // 3. The app, asked with the subscriber's credentials (only when there are some).
  if (cfg.identity.auth_request && ctx->auth_target) {
    std::string cookie = joinedCookies(req);
    const std::string* auth_header = req.header("authorization");
    std::string authorization = auth_header ? *auth_header : std::string();
    if (!cookie.empty() || !authorization.empty()) {
      const config::AuthRequest& ar = *cfg.identity.auth_request;
      std::string key = identity::AuthCache::credentialKey(cookie, authorization);
      if (auto cached = ctx->auth_cache->get(key, monotonicMs())) {
        done(d.onAuthAnswer(*cached));
        return nullptr;
      }
      auto shared_d = std::make_shared<Decision>(std::move(d));
      auto on_outcome = [shared_d, key = std::move(key),
                         done = std::move(done)](AuthRequestClient::Outcome&& out) {
        const DownstreamContext& c = *shared_d->ctx;
        if (!out.ok) {
          LOG_WARN("admission", "auth_request failed: " << out.error << ": refusing with 503");
          done(shared_d->fail(503, Reject::kAuthUnavailable, "authentication unavailable"));
          return;
        }
        int s = out.answer.status;
        if ((s >= 200 && s < 300) || s == 401 || s == 403) {
          int64_t ttl = c.config->identity.auth_request->cache_ttl.count();
          if (ttl > 0) c.auth_cache->put(key, out.answer, monotonicMs() + ttl);
        }
        done(shared_d->onAuthAnswer(out.answer));
      };
      return AuthRequestClient::start(worker.loop(), *ctx->auth_target, ar.user_header, ar.timeout,
                                      cookie, authorization, std::move(on_outcome));
    }
  }

  done(d.complete(Who{}));  // anonymous (refused by complete() when the route requires auth)
  return nullptr;
}

const char* Admitter::refuseConnection(const worker::SharedState& shared, const char* log_tag) {
  const bool draining = shared.draining.load(std::memory_order_relaxed);
  metrics().reject(draining ? Reject::kDraining : Reject::kMaxConnections);
  LOG_WARN(log_tag,
           "rejected a connection: " << (draining ? "draining" : "limits.max_connections reached"));
  return draining ? "shutting down" : "too many connections";
}

}  // namespace ssegate::downstream
