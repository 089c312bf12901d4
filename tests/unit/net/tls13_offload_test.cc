// A server TlsSession that negotiated TLS 1.3 runs its records itself (Tls13Records) after the
// handshake. The peer here is a plain OpenSSL client on memory BIOs, so every record ssegate
// writes is checked by OpenSSL and every record OpenSSL writes is opened by ssegate: data both
// ways in all three suites, large and split writes, session tickets and resumption, KeyUpdate in
// both modes, close_notify both ways, and the records a peer must not send.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "net/tls_context.h"
#include "net/tls_session.h"
#include "unit/net/tls_test_dir.h"

namespace ssegate::net {
namespace {

// An OpenSSL client on two memory BIOs.
class Client {
 public:
  Client(const char* suites, int max_version, SSL_SESSION* resume = nullptr) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (suites != nullptr) SSL_CTX_set_ciphersuites(ctx_, suites);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    static const unsigned char kAlpn[] = "\x02h2";
    SSL_CTX_set_alpn_protos(ctx_, kAlpn, 3);
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    if (resume != nullptr) SSL_set_session(ssl_, resume);
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  SSL* ssl() { return ssl_; }

  std::string take() {
    std::string wire;
    char buf[4096];
    int n;
    while ((n = BIO_read(out_, buf, sizeof(buf))) > 0) wire.append(buf, n);
    return wire;
  }
  void feed(const std::string& wire) { BIO_write(in_, wire.data(), static_cast<int>(wire.size())); }

  // Reads all the plaintext available; *end is set by close_notify or an error.
  std::string read(int* err = nullptr) {
    std::string got;
    char buf[16384];
    size_t n = 0;
    for (;;) {
      int r = SSL_read_ex(ssl_, buf, sizeof(buf), &n);
      if (r == 1) {
        got.append(buf, n);
        continue;
      }
      if (err != nullptr) *err = SSL_get_error(ssl_, r);
      return got;
    }
  }
  void write(const std::string& plain) {
    size_t n = 0;
    ASSERT_EQ(SSL_write_ex(ssl_, plain.data(), plain.size(), &n), 1);
    ASSERT_EQ(n, plain.size());
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
};

class Tls13OffloadTest : public TlsTestDir {
 protected:
  void SetUp() override {
    TlsTestDir::SetUp();
    std::string error;
    server_ctx_ = TlsContext::createServer(dir_ + "/cert.pem", dir_ + "/key.pem", {"h2"}, &error);
    ASSERT_TRUE(server_ctx_) << error;
  }

  // Handshake between c and s; then the client reads what the server sent (the tickets).
  static void connect(Client& c, TlsSession& s) {
    for (int i = 0; i < 10; ++i) {
      SSL_do_handshake(c.ssl());
      std::string cs = c.take();
      s.feed(cs.data(), cs.size());
      s.handshake();
      std::string sc;
      s.takeOutput(&sc);
      c.feed(sc);
      if (cs.empty() && sc.empty()) break;
    }
    ASSERT_EQ(s.state(), TlsSession::State::kOpen) << s.error();
    ASSERT_EQ(SSL_is_init_finished(c.ssl()), 1);
    EXPECT_EQ(c.read(), "");
  }

  // Everything the server can read now.
  static std::string serverRead(TlsSession& s, TlsSession::Io* last = nullptr) {
    std::string got;
    char buf[TlsSession::kMinReadBuffer];
    for (;;) {
      size_t n = 0;
      TlsSession::Io io = s.read(buf, sizeof(buf), &n);
      if (io != TlsSession::Io::kOk) {
        if (last != nullptr) *last = io;
        return got;
      }
      got.append(buf, n);
    }
  }

  // Moves what the client wrote to the server.
  static void toServer(Client& c, TlsSession& s) {
    std::string wire = c.take();
    s.feed(wire.data(), wire.size());
  }

  static std::string toClient(TlsSession& s) {
    std::string wire;
    s.takeOutput(&wire);
    return wire;
  }

  static std::string pattern(size_t n, char seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7 % 251);
    return s;
  }

  std::shared_ptr<TlsContext> server_ctx_;
};

TEST_F(Tls13OffloadTest, EverySuiteMovesDataBothWays) {
  for (const char* suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    SCOPED_TRACE(suite);
    Client c(suite, TLS1_3_VERSION);
    TlsSession s(server_ctx_);
    ASSERT_NO_FATAL_FAILURE(connect(c, s));
    EXPECT_TRUE(s.offloaded());
    EXPECT_EQ(s.alpn(), "h2");
    EXPECT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(c.ssl())), suite);
    // Server to client: small writes, then 100 KiB (7 records).
    std::string big = pattern(100 * 1024, 'a');
    ASSERT_TRUE(s.write("data: 1\n\n"));
    ASSERT_TRUE(s.write("data: 2\n\n"));
    ASSERT_TRUE(s.write(big));
    c.feed(toClient(s));
    EXPECT_EQ(c.read(), "data: 1\n\ndata: 2\n\n" + big);
    // Client to server: small, then 70 KiB.
    std::string up = pattern(70 * 1024, 'k');
    ASSERT_NO_FATAL_FAILURE(c.write("PING"));
    ASSERT_NO_FATAL_FAILURE(c.write(up));
    toServer(c, s);
    EXPECT_EQ(serverRead(s), "PING" + up);
  }
}

// The connections of a thread share its AEAD contexts, keyed again for every record: records of
// several connections (two with the same suite) interleaved both ways each use their own keys.
TEST_F(Tls13OffloadTest, InterleavedConnectionsKeepTheirOwnKeys) {
  const char* suites[] = {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384",
                          "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"};
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<TlsSession>> sessions;
  for (const char* suite : suites) {
    clients.push_back(std::make_unique<Client>(suite, TLS1_3_VERSION));
    sessions.push_back(std::make_unique<TlsSession>(server_ctx_));
    ASSERT_NO_FATAL_FAILURE(connect(*clients.back(), *sessions.back()));
    ASSERT_TRUE(sessions.back()->offloaded());
  }
  std::vector<std::string> down(clients.size());
  std::vector<std::string> up(clients.size());
  for (int round = 0; round < 5; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string event = "data: " + std::to_string(i) + "/" + std::to_string(round) + "\n\n";
      down[i] += event;
      ASSERT_TRUE(sessions[i]->write(event));
      ASSERT_NO_FATAL_FAILURE(clients[i]->write("up " + event));
      up[i] += "up " + event;
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      clients[i]->feed(toClient(*sessions[i]));
      toServer(*clients[i], *sessions[i]);
    }
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(clients[i]->read(), down[i]);
    EXPECT_EQ(serverRead(*sessions[i]), up[i]);
  }
}

// Ciphertext arriving a byte at a time opens record by record, nothing lost or repeated.
TEST_F(Tls13OffloadTest, RecordsSplitAcrossFeeds) {
  Client c(nullptr, TLS1_3_VERSION);
  TlsSession s(server_ctx_);
  ASSERT_NO_FATAL_FAILURE(connect(c, s));
  ASSERT_TRUE(s.offloaded());
  std::string sent;
  for (int i = 0; i < 20; ++i) {
    std::string msg = "message " + std::to_string(i) + pattern(i * 97, 'x');
    ASSERT_NO_FATAL_FAILURE(c.write(msg));
    sent += msg;
  }
  std::string wire = c.take();
  std::string got;
  for (char ch : wire) {
    s.feed(&ch, 1);
    got += serverRead(s);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(s.state(), TlsSession::State::kOpen);
}

// The tickets the server sent during the handshake (under the application key, counted by
// ssegate) are good: a second connection resumes with one and is offloaded too.
TEST_F(Tls13OffloadTest, TicketsResume) {
  SSL_SESSION* session = nullptr;
  {
    Client c(nullptr, TLS1_3_VERSION);
    TlsSession s(server_ctx_);
    ASSERT_NO_FATAL_FAILURE(connect(c, s));
    EXPECT_FALSE(s.resumed());
    session = SSL_get1_session(c.ssl());
    ASSERT_NE(session, nullptr);
    ASSERT_EQ(SSL_SESSION_is_resumable(session), 1);
    SSL_shutdown(c.ssl());  // a client that just drops the connection marks it unresumable
  }
  Client c(nullptr, TLS1_3_VERSION, session);
  TlsSession s(server_ctx_);
  ASSERT_NO_FATAL_FAILURE(connect(c, s));
  SSL_SESSION_free(session);
  EXPECT_TRUE(s.resumed());
  EXPECT_EQ(SSL_session_reused(c.ssl()), 1);
  EXPECT_TRUE(s.offloaded());
  ASSERT_TRUE(s.write("after resumption"));
  c.feed(toClient(s));
  EXPECT_EQ(c.read(), "after resumption");
}

// KeyUpdate from the client: "not requested" changes only the client's key; "requested" makes
// the server answer with its own and change its key. Data flows both ways after each, twice.
TEST_F(Tls13OffloadTest, KeyUpdateBothModes) {
  Client c(nullptr, TLS1_3_VERSION);
  TlsSession s(server_ctx_);
  ASSERT_NO_FATAL_FAILURE(connect(c, s));
  ASSERT_TRUE(s.offloaded());
  for (int round = 0; round < 2; ++round) {
    for (int mode : {SSL_KEY_UPDATE_NOT_REQUESTED, SSL_KEY_UPDATE_REQUESTED}) {
      SCOPED_TRACE(mode);
      ASSERT_EQ(SSL_key_update(c.ssl(), mode), 1);
      ASSERT_NO_FATAL_FAILURE(c.write("up"));
      toServer(c, s);
      EXPECT_EQ(serverRead(s), "up");
      ASSERT_TRUE(s.write("down"));
      c.feed(toClient(s));
      EXPECT_EQ(c.read(), "down");
    }
  }
}

TEST_F(Tls13OffloadTest, CloseNotifyBothWays) {
  {
    Client c(nullptr, TLS1_3_VERSION);
    TlsSession s(server_ctx_);
    ASSERT_NO_FATAL_FAILURE(connect(c, s));
    // Data and close_notify in one read: the data first, then the end.
    ASSERT_NO_FATAL_FAILURE(c.write("last words"));
    ASSERT_EQ(SSL_shutdown(c.ssl()), 0);
    toServer(c, s);
    TlsSession::Io last = TlsSession::Io::kOk;
    EXPECT_EQ(serverRead(s, &last), "last words");
    EXPECT_EQ(last, TlsSession::Io::kClosed);
  }
  {
    Client c(nullptr, TLS1_3_VERSION);
    TlsSession s(server_ctx_);
    ASSERT_NO_FATAL_FAILURE(connect(c, s));
    ASSERT_TRUE(s.write("bye"));
    s.shutdown();
    c.feed(toClient(s));
    int err = 0;
    EXPECT_EQ(c.read(&err), "bye");
    EXPECT_EQ(err, SSL_ERROR_ZERO_RETURN);
  }
}

// A flipped ciphertext bit, a record type other than application_data and an oversized record
// are errors that say what was wrong; nothing of the bad record reaches the reader.
TEST_F(Tls13OffloadTest, BadRecordsAreErrors) {
  struct Case {
    const char* name;
    void (*spoil)(std::string*);
    const char* error;
  };
  const Case cases[] = {
      {"flipped bit", [](std::string* w) { (*w)[w->size() - 20] ^= 1; }, "bad_record_mac"},
      {"change_cipher_spec",
       [](std::string* w) { *w = std::string("\x14\x03\x03\x00\x01\x01", 6); },
       "change_cipher_spec after the handshake"},
      {"oversized", [](std::string* w) { (*w)[3] = 0x48; }, "record_overflow"},
      {"handshake type", [](std::string* w) { (*w)[0] = 0x16; }, "record of type 22"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Client c(nullptr, TLS1_3_VERSION);
    TlsSession s(server_ctx_);
    ASSERT_NO_FATAL_FAILURE(connect(c, s));
    ASSERT_TRUE(s.offloaded());
    ASSERT_NO_FATAL_FAILURE(c.write("secret payload"));
    std::string wire = c.take();
    k.spoil(&wire);
    s.feed(wire.data(), wire.size());
    TlsSession::Io last = TlsSession::Io::kOk;
    EXPECT_EQ(serverRead(s, &last), "");
    EXPECT_EQ(last, TlsSession::Io::kError);
    EXPECT_NE(s.error().find(k.error), std::string::npos) << s.error();
    EXPECT_EQ(s.state(), TlsSession::State::kClosed);
  }
}

// TLS 1.2 stays with OpenSSL's record layer, and works.
TEST_F(Tls13OffloadTest, Tls12IsNotOffloaded) {
  Client c(nullptr, TLS1_2_VERSION);
  TlsSession s(server_ctx_);
  ASSERT_NO_FATAL_FAILURE(connect(c, s));
  EXPECT_FALSE(s.offloaded());
  ASSERT_TRUE(s.write("over 1.2"));
  c.feed(toClient(s));
  EXPECT_EQ(c.read(), "over 1.2");
  ASSERT_NO_FATAL_FAILURE(c.write("back"));
  toServer(c, s);
  EXPECT_EQ(serverRead(s), "back");
}

}  // namespace
}  // namespace ssegate::net
