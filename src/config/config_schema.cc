#include "config/config_schema.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "config/path_template.h"
#include "config/value_syntax.h"

namespace ssegate::config::detail {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr Millis kNoTime{0};
constexpr Millis kOneMs{1};
constexpr Millis kMaxDuration = hours(24);
constexpr uint32_t kMaxWorkers = 256;
constexpr uint64_t kMaxWindow = (uint64_t{1} << 31) - 1;  // HTTP/2 flow-control window limit

// ---- String checks (StringCheck): return false and a reason for a bad value. ----

bool checkName(std::string_view name, std::string* error) {
  const bool ok = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok)
    *error = "invalid name \"" + std::string(name) + "\" (use letters, digits, '_', '-', '.')";
  return ok;
}

bool checkToken(std::string_view value, std::string* error) {
  if (isHttpToken(value)) return true;
  *error = "\"" + std::string(value) + "\" is not a valid HTTP header name";
  return false;
}

bool checkHostName(std::string_view value, std::string* error) {
  if (isHostName(value)) return true;
  *error = "invalid host name \"" + std::string(value) + "\"";
  return false;
}

bool checkRoutePath(std::string_view value, std::string* error) {
  std::string why;
  if (PathTemplate::compile(value, &why)) return true;
  *error = "invalid path \"" + std::string(value) + "\": " + why;
  return false;
}

bool checkUpstreamPath(std::string_view value, std::string* error) {
  std::string why;
  if (PathTemplate::compileUpstream(value, &why)) return true;
  *error = "invalid upstream_path \"" + std::string(value) + "\": " + why;
  return false;
}

bool checkHttpUrl(std::string_view value, std::string* error) {
  HttpUrl url;
  return parseHttpUrl(value, &url, error);
}

bool checkOrigin(std::string_view value, std::string* error) {
  return isCorsOrigin(value, error);
}

// Query parameter and cookie names: conservative RFC 3986 unreserved characters.
bool checkParamName(std::string_view value, std::string* error) {
  const bool ok = std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == '~';
  });
  if (!ok) *error = "invalid name \"" + std::string(value) + "\" (use letters, digits, '_', '-')";
  return ok;
}

// ---- Custom fields: values that fill more than one member or need special syntax. ----

// workers: "auto" (stored as 0) or 1..256.
void readWorkers(Reader& r, const Value& v, Config& out) {
  if (v.node.IsScalar() && v.node.Scalar() == "auto") {
    out.workers = 0;
    return;
  }
  const std::string* text = requireScalar(r, v, "\"auto\" or a number of threads");
  if (text == nullptr) return;
  std::string why;
  const auto n = parseUnsigned(*text, &why);
  if (!n || *n < 1 || *n > kMaxWorkers) {
    r.errorHere(v.mark, "expected \"auto\" or 1.." + std::to_string(kMaxWorkers) + ", got " +
                            describeNode(v.node));
    return;
  }
  out.workers = static_cast<uint32_t>(*n);
}

template <typename T>
Field<T> addressField(Address T::*member) {
  return customField<T>("address", [member](Reader& r, const Value& v, T& out) {
    const auto text = readString(r, v, nullptr);
    if (!text) return;
    std::string why;
    Address address;
    if (parseAddress(*text, &address, &why)) {
      out.*member = std::move(address);
    } else {
      r.errorHere(v.mark, why);
    }
  });
}

void readUpstreamUrl(Reader& r, const Value& v, Upstream& out) {
  const auto text = readString(r, v, nullptr);
  if (!text) return;
  HttpUrl url;
  std::string why;
  if (!parseHttpUrl(*text, &url, &why)) {
    r.errorHere(v.mark, why);
    return;
  }
  if (!url.path.empty() && url.path != "/") {
    r.errorHere(v.mark, "url \"" + *text +
                            "\" must not have a path or query; routes set it with upstream_path");
    return;
  }
  out.url = *text;
  out.https = url.https;
  out.host = std::move(url.host);
  out.port = url.port;
}

// Headers the upstream client manages itself; setting them from the file would corrupt framing
// or resumption.
bool isManagedHeader(std::string_view name) {
  static constexpr std::string_view kManaged[] = {
      "connection", "content-length",    "host",    "keep-alive", "last-event-id", "te",
      "trailer",    "transfer-encoding", "upgrade",
  };
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kManaged), std::end(kManaged), lower) != std::end(kManaged);
}

bool sameHeaderName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void readHeaders(Reader& r, const Value& v, Upstream& out) {
  if (!v.node.IsMap()) {
    r.errorHere(v.mark, "expected a map of header names to values, got " + describeNode(v.node));
    return;
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& kv : v.node) {
    const YAML::Mark key_mark = kv.first.Mark();
    if (!kv.first.IsScalar() || !isHttpToken(kv.first.Scalar())) {
      r.errorHere(key_mark, describeNode(kv.first) + " is not a valid HTTP header name");
      continue;
    }
    const std::string& name = kv.first.Scalar();
    Reader::Scope scope(r, name);
    if (isManagedHeader(name)) {
      r.errorHere(key_mark, "header \"" + name + "\" is managed by ssegate and cannot be set");
      continue;
    }
    const bool duplicate = std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
      return sameHeaderName(h.first, name);
    });
    if (duplicate) {
      r.errorHere(key_mark, "duplicate header \"" + name + "\"");
      continue;
    }
    const Value value{kv.second, kv.second.IsNull() ? key_mark : kv.second.Mark()};
    const std::string* text = requireScalar(r, value, "a header value");
    if (text == nullptr) continue;
    if (!isHeaderValue(*text)) {
      r.errorHere(value.mark, "header value must not contain CR, LF or other control characters");
      continue;
    }
    headers.emplace_back(name, *text);
  }
  out.headers = std::move(headers);
}

// ---- The tables (DESIGN A3). Columns: key, required?, documented default, field. ----

constexpr Need kReq = Need::kRequired;
constexpr Need kOpt = Need::kOptional;

const KeyTable<ServerTls> kServerTlsKeys = {
    {"certificate", kReq, "", stringField(&ServerTls::certificate)},
    {"private_key", kReq, "", stringField(&ServerTls::private_key)},
};

const KeyTable<Listener> kListenerKeys = {
    {"address", kReq, "", addressField(&Listener::address)},
    {"protocols", kOpt, "[http1]; [h2, http1] with tls",
     enumListField(&Listener::protocols, EnumNames<Protocol>{{"http1", Protocol::kHttp1},
                                                             {"h2c", Protocol::kH2c},
                                                             {"h2", Protocol::kH2}})},
    {"tls", kOpt, "", sectionField(&Listener::tls, &kServerTlsKeys)},
};

const KeyTable<Admin> kAdminKeys = {
    {"address", kReq, "", addressField(&Admin::address)},
};

const KeyTable<Reconnect> kReconnectKeys = {
    {"initial_delay", kOpt, "100ms",
     durationField(&Reconnect::initial_delay, kOneMs, kMaxDuration)},
    {"max_delay", kOpt, "30s", durationField(&Reconnect::max_delay, kOneMs, kMaxDuration)},
};

const KeyTable<UpstreamTls> kUpstreamTlsKeys = {
    {"verify", kOpt, "true", boolField(&UpstreamTls::verify)},
    {"ca_file", kOpt, "", stringField(&UpstreamTls::ca_file)},
    {"server_name", kOpt, "", stringField(&UpstreamTls::server_name, checkHostName)},
};

const KeyTable<Upstream> kUpstreamKeys = {
    {"url", kReq, "", customField<Upstream>("url", readUpstreamUrl)},
    {"connect_timeout", kOpt, "5s",
     durationField(&Upstream::connect_timeout, kOneMs, kMaxDuration)},
    {"idle_timeout", kOpt, "60s",
     durationField(&Upstream::idle_timeout, Millis(100), kMaxDuration)},
    {"reconnect", kOpt, "", sectionField(&Upstream::reconnect, &kReconnectKeys)},
    {"headers", kOpt, "", customField<Upstream>("map", readHeaders)},
    {"tls", kOpt, "", sectionField(&Upstream::tls, &kUpstreamTlsKeys)},
};

const KeyTable<Replay> kReplayKeys = {
    {"max_events", kOpt, "1000", uintField(&Replay::max_events, 0, 1000000)},
    {"max_age", kOpt, "5m", durationField(&Replay::max_age, kOneMs, kMaxDuration)},
};

const KeyTable<Route> kRouteKeys = {
    {"path", kReq, "", stringField(&Route::path, checkRoutePath)},
    {"upstream", kReq, "", stringField(&Route::upstream)},
    {"upstream_path", kReq, "", stringField(&Route::upstream_path, checkUpstreamPath)},
    {"keepalive_interval", kOpt, "15s",
     durationField(&Route::keepalive_interval, Millis(100), hours(1))},
    {"retry", kOpt, "3s", durationField(&Route::retry, kNoTime, kMaxDuration)},
    {"linger", kOpt, "30s", durationField(&Route::linger, kNoTime, kMaxDuration)},
    {"replay", kOpt, "", sectionField(&Route::replay, &kReplayKeys)},
    {"auth", kOpt, "none",
     enumField(&Route::auth, EnumNames<AuthMode>{{"none", AuthMode::kNone},
                                                 {"optional", AuthMode::kOptional},
                                                 {"required", AuthMode::kRequired}})},
    {"max_connections_per_user", kOpt, "limits.max_connections_per_user",
     uintField(&Route::max_connections_per_user, 1, 1000000)},
};

const KeyTable<Jwt> kJwtKeys = {
    {"sources", kOpt, "[header, query, cookie]",
     enumListField(&Jwt::sources, EnumNames<JwtSource>{{"header", JwtSource::kHeader},
                                                       {"query", JwtSource::kQuery},
                                                       {"cookie", JwtSource::kCookie}})},
    {"query_param", kOpt, "access_token", stringField(&Jwt::query_param, checkParamName)},
    {"cookie", kOpt, "ssegate_token", stringField(&Jwt::cookie, checkToken)},
    {"algorithms", kOpt, "those with a key: HS256 / RS256, ES256",
     enumListField(
         &Jwt::algorithms,
         EnumNames<std::string>{{"HS256", "HS256"}, {"RS256", "RS256"}, {"ES256", "ES256"}})},
    {"secret_file", kOpt, "", stringField(&Jwt::secret_file)},
    {"public_key_file", kOpt, "", stringField(&Jwt::public_key_file)},
    {"issuer", kOpt, "", stringField(&Jwt::issuer)},
    {"audience", kOpt, "", stringField(&Jwt::audience)},
    {"user_claim", kOpt, "sub", stringField(&Jwt::user_claim)},
    {"channels_claim", kOpt, "", stringField(&Jwt::channels_claim)},
};

const KeyTable<AuthRequest> kAuthRequestKeys = {
    {"url", kReq, "", stringField(&AuthRequest::url, checkHttpUrl)},
    {"user_header", kOpt, "X-User-Id", stringField(&AuthRequest::user_header, checkToken)},
    {"timeout", kOpt, "2s", durationField(&AuthRequest::timeout, kOneMs, minutes(1))},
    {"cache_ttl", kOpt, "30s", durationField(&AuthRequest::cache_ttl, kNoTime, kMaxDuration)},
};

const KeyTable<Identity> kIdentityKeys = {
    {"jwt", kOpt, "", sectionField(&Identity::jwt, &kJwtKeys)},
    {"trusted_header", kOpt, "", stringField(&Identity::trusted_header, checkToken)},
    {"auth_request", kOpt, "", sectionField(&Identity::auth_request, &kAuthRequestKeys)},
};

const KeyTable<Cors> kCorsKeys = {
    {"allow_origins", kOpt, "[]", stringListField(&Cors::allow_origins, checkOrigin)},
    {"allow_credentials", kOpt, "false", boolField(&Cors::allow_credentials)},
};

const KeyTable<Http2> kHttp2Keys = {
    {"max_concurrent_streams", kOpt, "128", uintField(&Http2::max_concurrent_streams, 1, 10000)},
    {"initial_window_size", kOpt, "1MiB", sizeField(&Http2::initial_window_size, 1, kMaxWindow)},
};

const KeyTable<SubscriberBuffer> kSubscriberBufferKeys = {
    {"soft_bytes", kOpt, "256KiB", sizeField(&SubscriberBuffer::soft_bytes, 1, kGiB)},
    {"soft_timeout", kOpt, "10s",
     durationField(&SubscriberBuffer::soft_timeout, kNoTime, kMaxDuration)},
    {"hard_bytes", kOpt, "1MiB", sizeField(&SubscriberBuffer::hard_bytes, kKiB, kGiB)},
};

const KeyTable<Limits> kLimitsKeys = {
    {"max_connections", kOpt, "50000", uintField(&Limits::max_connections, 1, 10000000)},
    {"max_connections_per_user", kOpt, "10",
     uintField(&Limits::max_connections_per_user, 1, 1000000)},
    {"max_connections_per_ip", kOpt, "0", uintField(&Limits::max_connections_per_ip, 0, 1000000)},
    {"max_channels", kOpt, "100000", uintField(&Limits::max_channels, 1, 10000000)},
    {"max_request_header_bytes", kOpt, "16KiB",
     sizeField(&Limits::max_request_header_bytes, kKiB, kMiB)},
    {"request_header_timeout", kOpt, "10s",
     durationField(&Limits::request_header_timeout, Millis(100), hours(1))},
    {"max_event_bytes", kOpt, "1MiB", sizeField(&Limits::max_event_bytes, kKiB, 256 * kMiB)},
    {"subscriber_buffer", kOpt, "",
     sectionField(&Limits::subscriber_buffer, &kSubscriberBufferKeys)},
    {"drain_timeout", kOpt, "30s", durationField(&Limits::drain_timeout, kNoTime, hours(1))},
};

const KeyTable<Config> kRootKeys = {
    {"workers", kOpt, "auto", customField<Config>("\"auto\" or integer", readWorkers)},
    {"listeners", kReq, "", listField(&Config::listeners, &kListenerKeys)},
    {"admin", kOpt, "", sectionField(&Config::admin, &kAdminKeys)},
    {"upstreams", kReq, "",
     namedMapField(&Config::upstreams, &kUpstreamKeys, &Upstream::name, checkName)},
    {"routes", kReq, "", listField(&Config::routes, &kRouteKeys, &Route::line)},
    {"identity", kOpt, "", sectionField(&Config::identity, &kIdentityKeys)},
    {"cors", kOpt, "", sectionField(&Config::cors, &kCorsKeys)},
    {"http2", kOpt, "", sectionField(&Config::http2, &kHttp2Keys)},
    {"limits", kOpt, "", sectionField(&Config::limits, &kLimitsKeys)},
};

}  // namespace

void readConfig(Reader& r, const Value& root, Config& out) {
  readSection(r, root, kRootKeys, out);
}

std::vector<KeyInfo> describeKeys() {
  std::vector<KeyInfo> out;
  describeTable(kRootKeys, "", &out);
  return out;
}

}  // namespace ssegate::config::detail
