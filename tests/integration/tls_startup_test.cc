// A TLS listener whose certificate or key is missing, unreadable or mismatched stops start-up
// with an error naming the file; https upstreams verify the origin's certificate.

#include <string>

#include "gateway_test.h"
#include "harness/child_process.h"
#include "harness/free_port.h"
#include "harness/test_ca.h"

namespace ssegate::integration {
namespace {

// Runs ssegate on `config` and expects exit code 1 with `message` in its output.
void expectStartupFailure(const GatewayConfig& config, const std::string& message) {
  TempDir dir;
  const std::string path = dir.write("ssegate.yaml", config.toYaml());
  ChildProcess gw;
  ASSERT_TRUE(gw.spawn({SSEGATE_BINARY, "-c", path}, dir.file("ssegate.log")));
  auto exit = gw.wait(Millis(10000));
  if (!exit) gw.kill();
  ASSERT_TRUE(exit.has_value()) << "ssegate kept running";
  const std::string log = readFile(dir.file("ssegate.log"));
  EXPECT_TRUE(exit->exited && exit->code == 1) << exit->describe() << "\n" << log;
  EXPECT_NE(log.find(message), std::string::npos) << log;
}

TEST_F(GatewayTest, TLS_MissingCertificateFailsStartup) {
  TempDir dir;
  TestCa ca;
  std::string error;
  ASSERT_TRUE(ca.create(dir.path(), &error)) << error;
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2, http1]";
  config.tls_certificate = dir.file("nope.pem");
  config.tls_private_key = ca.server_key;
  expectStartupFailure(config, "tls.certificate " + dir.file("nope.pem") + ": no such file");
}

TEST_F(GatewayTest, TLS_MismatchedKeyFailsStartup) {
  TempDir dir;
  TestCa ca;
  std::string error;
  ASSERT_TRUE(ca.create(dir.path(), &error)) << error;
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2, http1]";
  config.tls_certificate = ca.server_pem;
  config.tls_private_key = ca.other_key;
  expectStartupFailure(config, "does not match tls.certificate");
}

TEST_F(GatewayTest, TLS_GarbageCertificateFailsStartup) {
  TempDir dir;
  TestCa ca;
  std::string error;
  ASSERT_TRUE(ca.create(dir.path(), &error)) << error;
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2]";
  config.tls_certificate = dir.write("garbage.pem", "not a certificate\n");
  config.tls_private_key = ca.server_key;
  expectStartupFailure(config, "not a PEM certificate chain");
}

// A second ssegate with a TLS listener terminates TLS in front of the FakeOrigin; the gateway
// under test reaches it over https.
class TlsUpstreamTest : public GatewayTest {
 protected:
  void startTlsFront() {
    std::string error;
    ASSERT_TRUE(ca_.create(dir_.path(), &error)) << error;
    GatewayConfig front = defaultConfig();
    front.protocols = "[http1]";
    front.tls_certificate = ca_.server_pem;
    front.tls_private_key = ca_.server_key;
    front.route_path = "/stream/{channel}";
    front_ = std::make_unique<GatewayProcess>(SSEGATE_BINARY, front);
    ASSERT_TRUE(front_->start()) << front_->problems();
  }
  void TearDown() override {
    if (front_) front_->stop();
    GatewayTest::TearDown();
  }
  TempDir dir_;
  TestCa ca_;
  std::unique_ptr<GatewayProcess> front_;
};

TEST_F(TlsUpstreamTest, TLS_HttpsUpstreamVerifiedWithCaFile) {
  ASSERT_NO_FATAL_FAILURE(startTlsFront());
  GatewayConfig config = defaultConfig();
  config.upstream_scheme = "https";
  config.origin_port = front_->port();
  config.upstream_tls = "{ verify: true, ca_file: " + ca_.ca_pem + ", server_name: localhost }";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto client = openStream("/events/secure");
  ASSERT_TRUE(client);
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/secure", 1, Millis(5000)));
  for (int i = 1; i <= 3; ++i) origin_.publish("secure", "s-" + std::to_string(i), "x");
  ASSERT_TRUE(client->waitEvents(3, Millis(5000)));
  EXPECT_TRUE(hasIds(client->events(), idSequence("s-", 1, 3)));
}

TEST_F(TlsUpstreamTest, TLS_HttpsUpstreamFailedVerificationSaysWhy) {
  ASSERT_NO_FATAL_FAILURE(startTlsFront());
  GatewayConfig config = defaultConfig();
  config.upstream_scheme = "https";
  config.origin_port = front_->port();  // the system store does not know the test CA
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto client = openStream("/events/untrusted");
  ASSERT_TRUE(client);
  EXPECT_TRUE(waitUntil(
      [&] {
        return gateway_->log().find(
                   "certificate verification failed: unable to get local "
                   "issuer certificate") != std::string::npos;
      },
      Millis(5000)))
      << gateway_->log();
  EXPECT_EQ(origin_.acceptedCount("/stream/untrusted"), 0u);
}

}  // namespace
}  // namespace ssegate::integration
