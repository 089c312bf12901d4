// The admin listener (DESIGN A5): /healthz, /readyz, /channels and /metrics with the documented
// metric names, reflecting a live subscriber and a delivered event.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "gateway_test.h"
#include "harness/free_port.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_AdminEndpoints) {
  GatewayConfig config = defaultConfig();
  config.admin_port = freePort();
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  const uint16_t admin_port = gateway_->config().admin_port;
  ASSERT_TRUE(waitUntil([&] { return canConnect(admin_port, 100); }, Millis(5000)))
      << "nothing listens on the admin address";
  EXPECT_EQ(adminGet(admin_port, "/healthz")->status(), 200);
  EXPECT_EQ(adminGet(admin_port, "/readyz")->status(), 200);

  auto sub = openStream("/events/adm");
  ASSERT_TRUE(isSseStream(*sub, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/adm", 1, Millis(5000)));
  origin_.publish("adm", "m-1", "measured");
  ASSERT_TRUE(sub->waitEvents(1)) << sub->describe();

  auto channels = adminGet(admin_port, "/channels");
  EXPECT_EQ(channels->status(), 200) << channels->describe();
  EXPECT_EQ(channels->body().find_first_not_of(" \n"), channels->body().find('['))
      << "not a JSON array: " << channels->body();
  EXPECT_NE(channels->body().find("adm"), std::string::npos) << channels->body();
  EXPECT_NE(channels->body().find("m-1"), std::string::npos)
      << "no last event id: " << channels->body();

  auto metrics = adminGet(admin_port, "/metrics");
  ASSERT_EQ(metrics->status(), 200) << metrics->describe();
  const std::string& text = metrics->body();
  for (const char* name :
       {"ssegate_downstream_connections", "ssegate_subscriptions", "ssegate_channels",
        "ssegate_upstream_connections", "ssegate_upstream_connects_total",
        "ssegate_events_received_total", "ssegate_events_delivered_total",
        "ssegate_events_replayed_total", "ssegate_bytes_sent_total", "ssegate_rejected_total",
        "ssegate_slow_subscriber_disconnects_total", "ssegate_delivery_latency_seconds"}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos)
        << "metric " << name << " missing from /metrics";
  }
  EXPECT_NE(text.find("\nssegate_subscriptions 1\n"), std::string::npos) << text;
  // Each worker publishes its written bytes once per loop turn: the event's are in.
  const size_t at = text.find("\nssegate_bytes_sent_total ");
  ASSERT_NE(at, std::string::npos) << text;
  const uint64_t bytes_sent = std::strtoull(text.c_str() + at + 26, nullptr, 10);
  EXPECT_GE(bytes_sent, sub->bodyBytes()) << "fewer bytes counted than the subscriber received";
  EXPECT_NE(text.find("\nssegate_channels 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ssegate_events_received_total{upstream=\"origin\"} 1\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace ssegate::integration
