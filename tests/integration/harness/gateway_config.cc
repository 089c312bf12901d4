#include "harness/gateway_config.h"

#include <sstream>

namespace ssegate::integration {

std::string GatewayConfig::toYaml() const {
  std::ostringstream y;
  y << "workers: " << workers << "\n"
    << "listeners:\n"
    << "  - address: 127.0.0.1:" << port << "\n"
    << "    protocols: " << protocols << "\n";
  if (!tls_certificate.empty()) {
    y << "    tls: { certificate: " << tls_certificate << ", private_key: " << tls_private_key
      << " }\n";
  }
  if (admin_port > 0) y << "admin:\n  address: 127.0.0.1:" << admin_port << "\n";
  y << "upstreams:\n"
    << "  origin:\n"
    << "    url: " << upstream_scheme << "://127.0.0.1:" << origin_port << "\n"
    << "    connect_timeout: " << connect_timeout << "\n"
    << "    idle_timeout: " << idle_timeout << "\n"
    << "    reconnect: { initial_delay: " << reconnect_initial_delay
    << ", max_delay: " << reconnect_max_delay << " }\n";
  if (!upstream_tls.empty()) y << "    tls: " << upstream_tls << "\n";
  if (!upstream_headers.empty()) {
    y << "    headers:\n";
    for (const auto& [name, value] : upstream_headers) {
      y << "      " << name << ": \"" << value << "\"\n";
    }
  }
  y << "routes:\n"
    << "  - path: " << route_path << "\n"
    << "    upstream: origin\n"
    << "    upstream_path: " << upstream_path << "\n"
    << "    keepalive_interval: " << keepalive_interval << "\n"
    << "    retry: " << retry << "\n"
    << "    linger: " << linger << "\n"
    << "    replay: { max_events: " << replay_max_events << ", max_age: " << replay_max_age
    << " }\n"
    << "limits:\n"
    << "  max_connections: " << max_connections << "\n"
    << "  max_channels: " << max_channels << "\n"
    << "  max_event_bytes: " << max_event_bytes << "\n"
    << "  max_request_header_bytes: " << max_request_header_bytes << "\n"
    << "  request_header_timeout: " << request_header_timeout << "\n"
    << "  subscriber_buffer: { soft_bytes: " << soft_bytes << ", soft_timeout: " << soft_timeout
    << ", hard_bytes: " << hard_bytes << " }\n"
    << "  drain_timeout: " << drain_timeout << "\n";
  y << extra_yaml;
  return y.str();
}

}  // namespace ssegate::integration
