// SIGHUP reloads TLS certificates (issue 5 point 3): a new TLS connection after the reload sees
// the new certificate (files replaced at the same paths), a stream opened before it keeps
// receiving on the old one, and a reload whose certificate does not load is rejected whole.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gateway_test.h"
#include "harness/child_process.h"
#include "harness/temp_dir.h"
#include "harness/test_ca.h"

namespace ssegate::integration {
namespace {

const char* kCurl = "/usr/bin/curl";

// The SHA-256 fingerprint line of the certificate in `pem`.
std::string fileFingerprint(const TempDir& dir, const std::string& pem) {
  CommandResult r =
      runCommand({"/usr/bin/openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", pem},
                 dir.file("fp.out"), Millis(20000));
  return r.output;
}

// The fingerprint of the certificate a new TLS connection to 127.0.0.1:port is served.
std::string servedFingerprint(const TempDir& dir, uint16_t port) {
  const std::string sh = "/usr/bin/openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                         " -servername localhost </dev/null 2>/dev/null | "
                         "/usr/bin/openssl x509 -noout -fingerprint -sha256";
  CommandResult r = runCommand({"/bin/sh", "-c", sh}, dir.file("served.out"), Millis(20000));
  return r.output;
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(GatewayTest, TLS_SighupReloadsCertificate) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  TempDir live;  // the paths the configuration names
  TempDir dir_a;
  TempDir dir_b;
  TestCa a;
  TestCa b;
  std::string error;
  ASSERT_TRUE(a.create(dir_a.path(), &error)) << error;
  ASSERT_TRUE(b.create(dir_b.path(), &error)) << error;
  namespace fs = std::filesystem;
  const auto over = fs::copy_options::overwrite_existing;
  const std::string cert = live.file("tls.crt");
  const std::string key = live.file("tls.key");
  fs::copy_file(a.server_pem, cert, over);
  fs::copy_file(a.server_key, key, over);
  const std::string fp_a = fileFingerprint(live, a.server_pem);
  const std::string fp_b = fileFingerprint(live, b.server_pem);
  ASSERT_NE(fp_a.find("Fingerprint"), std::string::npos) << fp_a;
  ASSERT_NE(fp_a, fp_b);

  GatewayConfig config = defaultConfig();
  config.protocols = "[h2, http1]";
  config.tls_certificate = cert;
  config.tls_private_key = key;
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  ASSERT_EQ(servedFingerprint(live, port()), fp_a);

  // A stream over TLS (h2 through ALPN) opened with certificate A.
  const std::string out = live.file("curl.out");
  ChildProcess curl;
  ASSERT_TRUE(curl.spawn({kCurl, "-s", "-N", "--cacert", a.ca_pem, "--resolve",
                          "localhost:" + std::to_string(port()) + ":127.0.0.1",
                          "https://localhost:" + std::to_string(port()) + "/events/tls"},
                         out));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/tls", 1, Millis(5000)));
  origin_.publish("tls", "t-1", "before");
  ASSERT_TRUE(waitUntil([&] { return readFile(out).find("data: before") != std::string::npos; },
                        Millis(5000)))
      << "curl output: '" << readFile(out) << "'";

  // Certificate B at the same paths, then SIGHUP.
  fs::copy_file(b.server_pem, cert, over);
  fs::copy_file(b.server_key, key, over);
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  ASSERT_TRUE(waitUntil([&] { return countOf(gateway_->log(), "configuration reloaded") >= 1; },
                        Millis(5000)))
      << gateway_->log();
  EXPECT_EQ(servedFingerprint(live, port()), fp_b) << "a new connection still gets certificate A";
  origin_.publish("tls", "t-2", "after");
  EXPECT_TRUE(waitUntil([&] { return readFile(out).find("data: after") != std::string::npos; },
                        Millis(5000)))
      << "the stream opened before the reload stopped: '" << readFile(out) << "'";
  EXPECT_TRUE(curl.running()) << "curl ended: '" << readFile(out) << "'";

  // A certificate that does not load: the whole reload is rejected, B stays.
  std::filesystem::copy_file(a.server_pem, cert, over);  // A's certificate with B's key
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  ASSERT_TRUE(
      waitUntil([&] { return countOf(gateway_->log(), "reload failed") >= 1; }, Millis(5000)))
      << gateway_->log();
  EXPECT_NE(gateway_->log().find("reload rejected: listener"), std::string::npos)
      << gateway_->log();
  EXPECT_EQ(servedFingerprint(live, port()), fp_b);
  origin_.publish("tls", "t-3", "still");
  EXPECT_TRUE(waitUntil([&] { return readFile(out).find("data: still") != std::string::npos; },
                        Millis(5000)));
  curl.signal(SIGTERM);
  curl.wait(Millis(5000));
  // Leave valid files for the stop.
  fs::copy_file(b.server_pem, cert, over);
}

}  // namespace
}  // namespace ssegate::integration
