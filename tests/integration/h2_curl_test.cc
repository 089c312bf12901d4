// curl over HTTP/2 (TLS with ALPN h2, and h2c with prior knowledge) and over HTTP/1.1 with TLS,
// against certificates from a test CA generated at test time.

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gateway_test.h"
#include "harness/child_process.h"
#include "harness/free_port.h"
#include "harness/test_ca.h"

namespace ssegate::integration {
namespace {

const char* kCurl = "/usr/bin/curl";

class H2CurlTest : public GatewayTest {
 protected:
  // A gateway with a TLS listener ([h2, http1]) on a certificate from a fresh test CA (ca_, in
  // dir_); `admin_port` > 0 adds the admin listener.
  void startTlsGateway(uint16_t admin_port = 0) {
    std::string error;
    ASSERT_TRUE(ca_.create(dir_.path(), &error)) << error;
    GatewayConfig config = defaultConfig();
    config.protocols = "[h2, http1]";
    config.tls_certificate = ca_.server_pem;
    config.tls_private_key = ca_.server_key;
    config.admin_port = admin_port;
    ASSERT_NO_FATAL_FAILURE(startGateway(config));
  }

  // Starts curl with `args` + url, waits for its stream, publishes three events and checks that
  // curl saw the response line `status_line` and every event, in order.
  // `idle`: how long the stream stays quiet before the events.
  void expectEvents(std::vector<std::string> args, const std::string& url,
                    const std::string& channel, const std::string& status_line,
                    Millis idle = Millis(0)) {
    const std::string out = gateway_->dir().file("curl-" + channel + ".out");
    std::vector<std::string> argv = {kCurl, "-N", "-s", "-i", "--max-time", "15"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    ChildProcess curl;
    ASSERT_TRUE(curl.spawn(argv, out));
    ASSERT_TRUE(origin_.waitOpenStreams("/stream/" + channel, 1, Millis(5000)));
    ASSERT_TRUE(
        waitUntil([&] { return readFile(out).find("retry:") != std::string::npos; }, Millis(5000)))
        << "curl output: '" << readFile(out) << "'";
    std::this_thread::sleep_for(idle);
    for (int i = 1; i <= 3; ++i)
      origin_.publish(channel, "e-" + std::to_string(i), "hi " + channel);
    const bool all = waitUntil([&] { return readFile(out).find("id: e-3\n") != std::string::npos; },
                               Millis(5000));
    curl.signal(SIGTERM);
    curl.wait(Millis(5000));
    const std::string text = readFile(out);
    ASSERT_TRUE(all) << "curl output: '" << text << "'";
    EXPECT_EQ(text.rfind(status_line, 0), 0u) << text;
    std::string lower = text;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(lower.find("content-type: text/event-stream"), std::string::npos) << text;
    for (int i = 1; i <= 3; ++i) {
      const std::string event = "id: e-" + std::to_string(i) + "\ndata: hi " + channel + "\n\n";
      EXPECT_NE(text.find(event), std::string::npos) << "missing '" << event << "' in " << text;
    }
  }

  TestCa ca_;
  TempDir dir_;
};

TEST_F(H2CurlTest, H2_CurlOverTlsNegotiatesH2) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(startTlsGateway());
  expectEvents({"--http2", "--cacert", ca_.ca_pem},
               "https://localhost:" + std::to_string(port()) + "/events/tlsh2", "tlsh2",
               "HTTP/2 200");
}

TEST_F(H2CurlTest, H2_CurlPriorKnowledgeOverH2c) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  GatewayConfig config = defaultConfig();
  config.protocols = "[http1, h2c]";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  expectEvents({"--http2-prior-knowledge"},
               "http://127.0.0.1:" + std::to_string(port()) + "/events/h2c", "h2c", "HTTP/2 200");
  // The same listener still serves HTTP/1.1.
  expectEvents({"--http1.1"}, "http://127.0.0.1:" + std::to_string(port()) + "/events/h1c", "h1c",
               "HTTP/1.1 200");
}

// A connection quiet for longer than 2 s gives its frame buffer's page back (Http2Connection);
// its stream then still gets every event, in order.
TEST_F(H2CurlTest, H2_StreamQuietPastTheFramePageDropStillGetsEveryEvent) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2c]";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  expectEvents({"--http2-prior-knowledge"},
               "http://127.0.0.1:" + std::to_string(port()) + "/events/quiet", "quiet",
               "HTTP/2 200", Millis(3500));
}

TEST_F(H2CurlTest, TLS_Http1OverTlsWithTestCa) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(startTlsGateway());
  expectEvents({"--http1.1", "--cacert", ca_.ca_pem},
               "https://127.0.0.1:" + std::to_string(port()) + "/events/tlsh1", "tlsh1",
               "HTTP/1.1 200");
}

// TLS 1.2 clients work too (their records stay with OpenSSL; TLS 1.3 ones are run by ssegate).
TEST_F(H2CurlTest, TLS_Tls12ClientOverHttp1AndH2) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(startTlsGateway());
  const std::string base = "https://localhost:" + std::to_string(port());
  expectEvents({"--http1.1", "--tls-max", "1.2", "--cacert", ca_.ca_pem}, base + "/events/t12a",
               "t12a", "HTTP/1.1 200");
  expectEvents({"--http2", "--tls-max", "1.2", "--cacert", ca_.ca_pem}, base + "/events/t12b",
               "t12b", "HTTP/2 200");
}

// A client that saved its session resumes it on the next connection (TLS 1.3 tickets, TLS 1.2
// session cache): openssl s_client says "Reused". (Its stdin stays open for half a second, long
// enough to read the TLS 1.3 tickets that come after the handshake.)
TEST_F(H2CurlTest, TLS_SessionResumption) {
  ASSERT_NO_FATAL_FAILURE(startTlsGateway());
  for (const std::string version : {"-tls1_3", "-tls1_2"}) {
    SCOPED_TRACE(version);
    const std::string session = dir_.path() + "/session" + version + ".pem";
    auto connect = [&](const std::string& session_arg, const std::string& name) {
      const std::string out = dir_.path() + "/" + name + version + ".out";
      ChildProcess client;
      EXPECT_TRUE(client.spawn(
          {"/bin/sh", "-c",
           "sleep 0.5 | openssl s_client -connect 127.0.0.1:" + std::to_string(port()) +
               " -servername localhost -CAfile " + ca_.ca_pem + " " + version + " " + session_arg +
               " " + session + " 2>&1"},
          out));
      EXPECT_TRUE(client.wait(Millis(8000)).has_value());
      return readFile(out);
    };
    const std::string first = connect("-sess_out", "first");
    EXPECT_NE(first.find("New, TLSv1."), std::string::npos) << first;
    EXPECT_NE(first.find("Verify return code: 0 (ok)"), std::string::npos) << first;
    const std::string second = connect("-sess_in", "second");
    EXPECT_NE(second.find("Reused, TLSv1."), std::string::npos) << second;
  }
}

// Bytes that are not TLS on the TLS port, a record that fails authentication after a good TLS 1.3
// handshake, and a connection that never starts its handshake: each is closed and counted
// (ssegate_rejected_total tls_handshake / tls_record / header_timeout, after
// request_header_timeout = 2 s for the last); a TLS subscriber opened afterwards gets every
// event.
TEST_F(H2CurlTest, TLS_BadHandshakeAndBadRecordAreCountedAndOthersUnaffected) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(startTlsGateway(freePort()));
  const uint16_t admin = gateway_->config().admin_port;
  ASSERT_TRUE(waitUntil([&] { return canConnect(admin, 100); }, Millis(5000)));

  // Connected, silent: closed at request_header_timeout (2 s in the test configuration).
  SseClient silent(port());
  const auto silent_since = std::chrono::steady_clock::now();

  // Cleartext HTTP to the TLS port.
  SseClient plain(port());
  plain.get("/events/tlsbad");
  EXPECT_TRUE(plain.pumpUntil([&] { return plain.closed(); }, Millis(5000)))
      << "the gateway kept a connection that is not TLS";

  // A finished TLS 1.3 handshake, then a record of garbage (python3's ssl, on the raw fd).
  const std::string out = dir_.path() + "/badrecord.out";
  const std::string script =
      "import os, socket, ssl\n"
      "ctx = ssl.create_default_context(cafile='" +
      ca_.ca_pem +
      "')\n"
      "ctx.minimum_version = ssl.TLSVersion.TLSv1_3\n"
      "t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " +
      std::to_string(port()) +
      ")), server_hostname='localhost')\n"
      "print('handshake', t.version(), flush=True)\n"
      "os.write(t.fileno(), bytes([23, 3, 3, 0, 40]) + bytes(range(40)))\n"
      "t.settimeout(5)\n"
      "try:\n"
      "    rest = t.recv(100)\n"
      "    print('closed' if rest == b'' else 'data', flush=True)\n"
      "except (ssl.SSLError, ConnectionError, OSError) as e:\n"
      "    print('closed', type(e).__name__, flush=True)\n";
  ChildProcess client;
  ASSERT_TRUE(client.spawn({"/usr/bin/python3", "-c", script}, out));
  ASSERT_TRUE(client.wait(Millis(8000)).has_value());
  const std::string text = readFile(out);
  EXPECT_NE(text.find("handshake TLSv1.3"), std::string::npos) << text;
  EXPECT_NE(text.find("closed"), std::string::npos) << text;

  expectEvents({"--http1.1", "--cacert", ca_.ca_pem},
               "https://localhost:" + std::to_string(port()) + "/events/tlsok", "tlsok",
               "HTTP/1.1 200");
  ASSERT_TRUE(silent.pumpUntil([&] { return silent.closed(); }, Millis(6000)))
      << "a connection that never started its handshake was kept";
  EXPECT_GE(std::chrono::steady_clock::now() - silent_since, Millis(1500));
  auto metrics = adminGet(admin, "/metrics");
  EXPECT_NE(metrics->body().find("ssegate_rejected_total{reason=\"header_timeout\"} 1\n"),
            std::string::npos)
      << metrics->body();
  EXPECT_NE(metrics->body().find("ssegate_rejected_total{reason=\"tls_handshake\"} 1\n"),
            std::string::npos)
      << metrics->body();
  EXPECT_NE(metrics->body().find("ssegate_rejected_total{reason=\"tls_record\"} 1\n"),
            std::string::npos)
      << metrics->body();
  // Completed handshakes: the bad-record client's and curl's; not the cleartext or silent one.
  EXPECT_NE(metrics->body().find("ssegate_tls_handshakes_total 2\n"), std::string::npos)
      << metrics->body();
}

TEST_F(H2CurlTest, H2_ErrorStatusesOverH2) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2c]";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  const std::string out = gateway_->dir().file("curl-404.out");
  ChildProcess curl;
  ASSERT_TRUE(curl.spawn({kCurl, "-s", "-i", "--max-time", "5", "--http2-prior-knowledge",
                          "http://127.0.0.1:" + std::to_string(port()) + "/nothing/here"},
                         out));
  auto exit = curl.wait(Millis(8000));
  ASSERT_TRUE(exit.has_value());
  const std::string text = readFile(out);
  EXPECT_EQ(text.rfind("HTTP/2 404", 0), 0u) << text;
  EXPECT_NE(text.find("no route\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace ssegate::integration
