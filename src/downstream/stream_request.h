// StreamRequest: a downstream request head, independent of the protocol that carried it
// (HTTP/1.1 or an HTTP/2 stream), as admission needs it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssegate::downstream {

struct StreamRequest {
  std::string method;                                        // "GET", "OPTIONS", ...
  std::string target;                                        // origin-form: path and optional query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string client_ip;
  bool tls = false;
  bool http2 = false;

  // The first header with this lower-case name, or nullptr.
  const std::string* header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return &v;
    }
    return nullptr;
  }
};

}  // namespace ssegate::downstream
