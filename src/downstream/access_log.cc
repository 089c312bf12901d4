#include "downstream/access_log.h"

#include "base/log.h"
#include "config/config.h"
#include "identity/token_source.h"

namespace ssegate::downstream {

namespace {
constexpr size_t kMaxValueBytes = 512;  // a hostile target or user cannot make a huge line

// Bare when every byte is printable ASCII other than '"' and '\\'; otherwise quoted, with
// '"' and '\\' escaped and other bytes outside printable ASCII as \xNN. Empty is "-".
void appendValue(std::string* out, std::string_view v) {
  if (v.empty()) {
    *out += '-';
    return;
  }
  bool truncated = v.size() > kMaxValueBytes;
  if (truncated) v = v.substr(0, kMaxValueBytes);
  bool bare = true;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      bare = false;
      break;
    }
  }
  if (bare && !truncated) {
    *out += v;
    return;
  }
  static const char kHex[] = "0123456789abcdef";
  *out += '"';
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      *out += "\\x";
      *out += kHex[u >> 4];
      *out += kHex[u & 15];
    } else {
      *out += c;
    }
  }
  if (truncated) *out += "...";
  *out += '"';
}

void appendField(std::string* out, std::string_view key, std::string_view value) {
  if (!out->empty()) *out += ' ';
  *out += key;
  *out += '=';
  appendValue(out, value);
}

void appendNumber(std::string* out, std::string_view key, uint64_t value) {
  *out += ' ';
  *out += key;
  *out += '=';
  *out += std::to_string(value);
}
}  // namespace

void AccessRecord::setTarget(std::string_view raw, const config::Config& config) {
  target = identity::redactQuery(raw, "access_token");
  if (config.identity.jwt && config.identity.jwt->query_param != "access_token") {
    target = identity::redactQuery(target, config.identity.jwt->query_param);
  }
}

std::string formatAccessLine(const AccessRecord& r, int64_t now_ms, std::string_view reason) {
  std::string out;
  out.reserve(256);
  appendField(&out, "ip", r.client_ip);
  appendField(&out, "user", r.user);
  appendField(&out, "method", r.method);
  appendField(&out, "target", r.target);
  appendField(&out, "route", r.route);
  appendField(&out, "channel", r.channel);
  appendField(&out, "proto", r.http2 ? "h2" : "http1");
  appendField(&out, "tls", r.tls ? "true" : "false");
  appendNumber(&out, "status", static_cast<uint64_t>(r.status == 0 ? 499 : r.status));
  int64_t duration = r.start_ms != 0 && now_ms > r.start_ms ? now_ms - r.start_ms : 0;
  appendNumber(&out, "duration_ms", static_cast<uint64_t>(duration));
  appendNumber(&out, "events", r.events);
  appendNumber(&out, "bytes", r.bytes);
  out += " reason=\"";
  for (char c : reason) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += u < 0x20 || u >= 0x7f ? '?' : c;
    }
  }
  out += '"';
  return out;
}

void writeAccessLine(AccessRecord* r, int64_t now_ms, std::string_view reason) {
  if (r->written) return;
  r->written = true;
  if (!logEnabled(LogLevel::kInfo)) return;
  logLine(LogLevel::kInfo, "access", formatAccessLine(*r, now_ms, reason));
}

}  // namespace ssegate::downstream
