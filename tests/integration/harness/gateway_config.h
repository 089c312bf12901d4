// The knobs integration tests turn, rendered as an ssegate YAML file (DESIGN A3). One listener
// (http1 on 127.0.0.1), one upstream "origin", one route /events/{channel} ->
// /stream/{channel}. Defaults are small and fast so tests stay short. Values are strings in
// the file's own units ("1s", "64KiB") so a test reads like the configuration it runs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ssegate::integration {

struct GatewayConfig {
  uint16_t port = 0;         // the downstream listener
  uint16_t origin_port = 0;  // the FakeOrigin
  uint16_t admin_port = 0;   // > 0: an admin listener on 127.0.0.1:admin_port
  int workers = 2;

  std::string connect_timeout = "1s";
  std::string idle_timeout = "10s";
  std::string reconnect_initial_delay = "50ms";
  std::string reconnect_max_delay = "500ms";
  std::vector<std::pair<std::string, std::string>> upstream_headers;  // upstreams.origin.headers

  std::string route_path = "/events/{channel}";
  std::string upstream_path = "/stream/{channel}";
  std::string keepalive_interval = "15s";
  std::string retry = "1s";
  std::string linger = "1s";
  int replay_max_events = 1000;
  std::string replay_max_age = "5m";

  int max_connections = 50000;
  int max_channels = 100000;
  std::string max_event_bytes = "1MiB";
  std::string max_request_header_bytes = "16KiB";
  std::string request_header_timeout = "2s";
  std::string soft_bytes = "256KiB";
  std::string soft_timeout = "10s";
  std::string hard_bytes = "1MiB";
  std::string drain_timeout = "1s";

  // HTTP/2 and TLS (issue 3): the listener's protocols, a tls block when a certificate is set,
  // the upstream's scheme and tls block, and YAML appended at the top level (e.g. http2:).
  std::string protocols = "[http1]";
  std::string tls_certificate;
  std::string tls_private_key;
  std::string upstream_scheme = "http";
  std::string upstream_tls;  // a YAML flow map, e.g. "{ ca_file: /tmp/ca.pem }"
  std::string extra_yaml;

  std::string toYaml() const;
};

}  // namespace ssegate::integration
