// TlsContext + TlsSession: a server and a client session handshake through their memory BIOs
// (no sockets), agree on ALPN, move plaintext both ways, and a wrong host name fails
// verification with a message that says so. The certificate is made by the openssl CLI.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "net/tls_context.h"
#include "net/tls_session.h"
#include "unit/net/tls_test_dir.h"

namespace ssegate::net {
namespace {

class TlsSessionTest : public TlsTestDir {
 protected:
  // Moves ciphertext between the two sessions until neither has anything to say.
  static void pump(TlsSession& a, TlsSession& b) {
    for (int i = 0; i < 20; ++i) {
      std::string ab, ba;
      a.handshake();
      a.takeOutput(&ab);
      b.feed(ab.data(), ab.size());
      b.handshake();
      b.takeOutput(&ba);
      a.feed(ba.data(), ba.size());
      if (ab.empty() && ba.empty()) return;
    }
  }

  // A server context for the test certificate (offering `alpn`) and a verifying client context
  // that trusts it; fails the test if either cannot be built.
  void contexts(std::vector<std::string> alpn, std::shared_ptr<TlsContext>* server,
                std::shared_ptr<TlsContext>* client) {
    std::string error;
    *server = TlsContext::createServer(dir_ + "/cert.pem", dir_ + "/key.pem", alpn, &error);
    ASSERT_TRUE(*server) << error;
    *client = TlsContext::createClient(true, dir_ + "/cert.pem", &error);
    ASSERT_TRUE(*client) << error;
  }
};

TEST_F(TlsSessionTest, HandshakeAlpnAndData) {
  std::shared_ptr<TlsContext> server, client;
  ASSERT_NO_FATAL_FAILURE(contexts({"h2", "http/1.1"}, &server, &client));
  TlsSession s(server);
  static const unsigned char kAlpn[] = "\x08http/1.1\x02h2";
  // The client prefers http/1.1; the server's order (h2 first) wins.
  SSL_CTX_set_alpn_protos(client->get(), kAlpn, sizeof(kAlpn) - 1);
  TlsSession c2(client, "localhost");  // after the ALPN list is set
  pump(c2, s);
  ASSERT_EQ(c2.state(), TlsSession::State::kOpen) << c2.error();
  ASSERT_EQ(s.state(), TlsSession::State::kOpen) << s.error();
  EXPECT_EQ(s.alpn(), "h2");
  ASSERT_TRUE(s.write("data: hello\n\n"));
  std::string wire;
  s.takeOutput(&wire);
  c2.feed(wire.data(), wire.size());
  char buf[64];
  size_t n = 0;
  ASSERT_EQ(c2.read(buf, sizeof(buf), &n), TlsSession::Io::kOk) << c2.error();
  EXPECT_EQ(std::string(buf, n), "data: hello\n\n");
}

// Ciphertext fed in pieces (a record split across reads) decrypts once complete; output is
// appended to what the caller already holds; nothing is left waiting afterwards.
TEST_F(TlsSessionTest, PartialRecordsAndAppendedOutput) {
  std::shared_ptr<TlsContext> server, client;
  ASSERT_NO_FATAL_FAILURE(contexts({"h2"}, &server, &client));
  TlsSession s(server);
  TlsSession c(client, "localhost");
  pump(c, s);
  ASSERT_EQ(s.state(), TlsSession::State::kOpen) << s.error();
  ASSERT_TRUE(s.write("first"));
  std::string wire = "held";
  s.takeOutput(&wire);
  ASSERT_TRUE(s.write("second"));
  s.takeOutput(&wire);
  EXPECT_EQ(s.pendingOutput(), 0u);
  ASSERT_EQ(wire.substr(0, 4), "held");
  wire.erase(0, 4);
  char buf[64];
  size_t n = 0;
  c.feed(wire.data(), 3);  // not even a record header
  EXPECT_EQ(c.read(buf, sizeof(buf), &n), TlsSession::Io::kWantMore);
  c.feed(wire.data() + 3, wire.size() - 3);
  std::string got;
  while (c.read(buf, sizeof(buf), &n) == TlsSession::Io::kOk) got.append(buf, n);
  EXPECT_EQ(got, "firstsecond");
}

TEST_F(TlsSessionTest, WrongHostNameFailsVerificationAndSaysWhy) {
  std::shared_ptr<TlsContext> server, client;
  ASSERT_NO_FATAL_FAILURE(contexts({"h2"}, &server, &client));
  TlsSession s(server);
  TlsSession c(client, "other.example");
  pump(c, s);
  EXPECT_NE(c.state(), TlsSession::State::kOpen);
  EXPECT_NE(c.error().find("certificate verification failed: hostname mismatch"), std::string::npos)
      << c.error();
}

TEST_F(TlsSessionTest, MismatchedKeyIsAStartupError) {
  std::string cmd = "cd " + dir_ +
                    " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
                    "-out other.pem >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string error;
  auto server = TlsContext::createServer(dir_ + "/cert.pem", dir_ + "/other.pem", {"h2"}, &error);
  EXPECT_FALSE(server);
  EXPECT_NE(error.find("does not match tls.certificate"), std::string::npos) << error;
}

}  // namespace
}  // namespace ssegate::net
