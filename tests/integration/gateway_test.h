// The fixture every H1_* test uses: a FakeOrigin (started in SetUp) and, once the test calls
// startGateway(), the real ssegate binary configured against it.
//
// TearDown stops the gateway with SIGTERM and fails the test on a non-zero exit, a needed
// SIGKILL or a sanitizer report; on any failure it prints the tail of the gateway's log and
// keeps its temp dir. Tests must destroy their clients before TearDown (locals do).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "harness/client_fleet.h"
#include "harness/fake_origin.h"
#include "harness/gateway_config.h"
#include "harness/gateway_process.h"
#include "harness/sse_client.h"

namespace ssegate::integration {

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A config whose port is free and whose upstream is origin_ (tests then adjust it).
  GatewayConfig defaultConfig() const;
  // Starts ssegate; fails the test (fatally) if it does not listen within 10 s.
  void startGateway(const GatewayConfig& config);
  void startGateway() { startGateway(defaultConfig()); }
  uint16_t port() const { return gateway_->port(); }

  // Connects, sends GET `target` and waits (bounded) for the response head.
  std::unique_ptr<SseClient> openStream(const std::string& target, const Headers& headers = {},
                                        SseClient::Options options = {});
  // Sends `bytes` on a fresh connection and waits (bounded) until the gateway closes it.
  std::unique_ptr<SseClient> exchangeRaw(const std::string& bytes, Millis timeout = Millis(5000));

  FakeOrigin origin_;
  std::unique_ptr<GatewayProcess> gateway_;
};

// "id1,id2,..." for messages.
std::string joinIds(const std::vector<SseEvent>& events);
std::vector<std::string> idSequence(const std::string& prefix, int first, int last);
// The events' ids are exactly `ids`, in order (no loss, no duplicate, nothing extra).
::testing::AssertionResult hasIds(const std::vector<SseEvent>& events,
                                  const std::vector<std::string>& ids);
// 200 with the SSE response headers of DESIGN A4 and (for HTTP/1.1) a chunked body.
::testing::AssertionResult isSseStream(const SseClient& client, const std::string& x_replay);
// A response with `status`, a body of one short text line, and a closed connection.
::testing::AssertionResult isErrorResponse(const SseClient& client, int status);
// GET `path` on the admin listener, read to the end (at most 5 s).
std::unique_ptr<SseClient> adminGet(uint16_t admin_port, const std::string& path);

}  // namespace ssegate::integration
