#include "downstream/cors.h"

#include <strings.h>

namespace ssegate::downstream {

namespace {
// The request headers a subscriber may send cross-origin, in their canonical spelling.
constexpr std::string_view kAllowedHeaders[] = {"Last-Event-ID", "Authorization", "Cache-Control",
                                                "Content-Type"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

bool Cors::allowed(const config::Cors& cors, std::string_view origin) {
  if (origin.empty()) return false;
  for (const std::string& o : cors.allow_origins) {
    if (o == "*" || o == origin) return true;
  }
  return false;
}

std::string Cors::responseHeaders(const config::Cors& cors, const std::string* origin) {
  if (origin == nullptr || !allowed(cors, *origin)) return {};
  bool exact = false;
  for (const std::string& o : cors.allow_origins) exact = exact || o == *origin;
  std::string out = "Access-Control-Allow-Origin: ";
  out += (exact || cors.allow_credentials) ? *origin : std::string("*");
  out += "\r\nVary: Origin\r\n";
  if (cors.allow_credentials) out += "Access-Control-Allow-Credentials: true\r\n";
  return out;
}

std::string Cors::preflightHeaders(const config::Cors& cors, const std::string* origin,
                                   const std::string* request_headers) {
  std::string out = responseHeaders(cors, origin);
  if (out.empty()) return out;
  out += "Access-Control-Allow-Methods: GET\r\n";
  std::string allow;
  if (request_headers != nullptr) {
    std::string_view rest = *request_headers;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view name = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      for (std::string_view allowed_name : kAllowedHeaders) {
        if (iequals(name, allowed_name) && allow.find(allowed_name) == std::string::npos) {
          allow += (allow.empty() ? "" : ", ") + std::string(allowed_name);
        }
      }
    }
  }
  if (!allow.empty()) out += "Access-Control-Allow-Headers: " + allow + "\r\n";
  out += "Access-Control-Max-Age: " + std::to_string(kMaxAgeSeconds) + "\r\n";
  return out;
}

}  // namespace ssegate::downstream
