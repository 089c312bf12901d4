// ListenerSpec: what one configured listener decides for its connections: the protocols it
// allows and its TLS context (null for cleartext). Built by the Gateway; immutable; shared.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/tls_context.h"

namespace ssegate::downstream {

struct ListenerSpec {
  std::string name;  // for logs: the address as written
  bool http1 = true;
  bool http2 = false;  // h2 (ALPN) with tls, h2c (prior knowledge) without
  std::shared_ptr<net::TlsContext> tls;
};

}  // namespace ssegate::downstream
