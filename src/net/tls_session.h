// TlsSession: one TLS connection driven through memory BIOs. It never touches a socket: the
// owner feeds the ciphertext it read (feed()), takes plaintext out (read()), puts plaintext in
// (write()) and takes the ciphertext to send (takeOutput()).
//
// Ciphertext moves through one BIO of this class's own, whose two buffers hold no memory while
// nothing waits (an idle connection). OpenSSL's memory BIOs keep their largest buffer for life:
// 2-3 KiB per idle connection (heaptrack; 5,000 idle HTTP/1.1-over-TLS connections: 18.0 -> 16.1
// KiB of heap in use each).
//
// State: kHandshaking -> kOpen -> kClosed (close_notify seen, or a fatal error). A client session
// checks the peer's name (SNI + SSL_set1_host) when its context verifies; verifyError() then
// says why a handshake failed.
// Thread: the loop of its connection. Owner: the transport (one per TLS connection).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "net/tls_context.h"

namespace ssegate::net {

class TlsSession {
 public:
  enum class State { kHandshaking, kOpen, kClosed };
  enum class Io { kOk, kWantMore, kClosed, kError };

  // Server side.
  explicit TlsSession(std::shared_ptr<TlsContext> ctx);
  // Client side: `server_name` is sent as SNI and, when the context verifies, checked against
  // the certificate.
  TlsSession(std::shared_ptr<TlsContext> ctx, const std::string& server_name);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  State state() const { return state_; }
  // Ciphertext from the peer.
  void feed(const char* data, size_t len);
  // Advances the handshake. kOk once open; kWantMore while it needs peer bytes; kError with
  // error() set.
  Io handshake();
  // Decrypts into buf. Returns kOk with *n > 0, kWantMore (no complete record), kClosed
  // (close_notify) or kError.
  Io read(char* buf, size_t cap, size_t* n);
  // Encrypts all of `plain` (memory BIOs never refuse). REQUIRES: state() == kOpen.
  bool write(std::string_view plain);
  // Sends close_notify.
  void shutdown();
  // Ciphertext waiting to be sent.
  size_t pendingOutput() const;
  // Moves the waiting ciphertext into *out (appended; without a copy when *out is empty).
  void takeOutput(std::string* out);

  // The ALPN protocol agreed ("" if none).
  std::string_view alpn() const;
  bool resumed() const { return SSL_session_reused(ssl_) == 1; }
  const std::string& error() const { return error_; }

 private:
  void init(SSL_CTX* ctx);
  Io fail(const char* what, int ret);
  static const BIO_METHOD* bioMethod();
  static int bioRead(BIO* bio, char* buf, int len);
  static int bioWrite(BIO* bio, const char* data, int len);
  static long bioCtrl(BIO* bio, int cmd, long num, void* ptr);

  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_ = nullptr;  // owns the BIO
  std::string in_;      // ciphertext from the peer; released once read
  size_t in_read_ = 0;  // bytes of in_ OpenSSL has read
  std::string out_;     // ciphertext to the peer; released when taken
  State state_ = State::kHandshaking;
  std::string error_;
};

}  // namespace ssegate::net
