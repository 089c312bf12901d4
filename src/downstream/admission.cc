#include "downstream/admission.h"

#include "downstream/http_util.h"

namespace ssegate::downstream {

namespace {
constexpr size_t kMaxLastEventIdBytes = 1024;

Admission refuse(int status, Reject reason, std::string body, std::string headers = {}) {
  Admission a;
  a.status = status;
  a.reason = reason;
  a.body = std::move(body);
  a.headers = std::move(headers);
  return a;
}
}  // namespace

std::shared_ptr<void> Admitter::admit(worker::Worker&, std::shared_ptr<const DownstreamContext> ctx,
                                      StreamRequest req, Done done) {
  if (req.method == "OPTIONS") {
    done(refuse(204, Reject::kMethod, "", "Allow: GET, OPTIONS\r\n"));
    return nullptr;
  }
  if (req.method != "GET") {
    done(refuse(405, Reject::kMethod, "method not allowed", "Allow: GET, OPTIONS\r\n"));
    return nullptr;
  }
  std::string_view url = req.target;
  if (url.empty() || url[0] != '/') {
    // absolute-form: http://host/path
    size_t scheme = url.find("://");
    size_t slash =
        scheme == std::string_view::npos ? std::string_view::npos : url.find('/', scheme + 3);
    if (slash == std::string_view::npos) {
      done(refuse(400, Reject::kBadRequest, "bad request target"));
      return nullptr;
    }
    url = url.substr(slash);
  }
  size_t q = url.find('?');
  std::string_view path = url.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : url.substr(q + 1);

  if (ctx->shared->draining.load(std::memory_order_relaxed)) {
    done(refuse(503, Reject::kDraining, "shutting down"));
    return nullptr;
  }
  Router::Match match;
  if (!ctx->router->route(path, "", &match)) {
    done(refuse(404, Reject::kNotFound, "no route"));
    return nullptr;
  }
  std::string last_id;
  if (const std::string* h = req.header("last-event-id")) {
    last_id = *h;
  } else if (auto v = queryParam(query, "lastEventId")) {
    last_id = *v;
  }
  if (last_id.size() > kMaxLastEventIdBytes) {
    done(refuse(400, Reject::kBadRequest, "Last-Event-ID too long"));
    return nullptr;
  }
  Admission a;
  a.route = match.route;
  a.request.channel_key = std::move(match.channel_key);
  a.request.upstream = match.route->upstream;
  a.request.upstream_path = std::move(match.upstream_path);
  a.request.last_event_id = std::move(last_id);
  a.request.config = ctx->config;
  a.request.route = match.route;
  done(std::move(a));
  return nullptr;
}

}  // namespace ssegate::downstream
