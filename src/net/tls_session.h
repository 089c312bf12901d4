// TlsSession: one TLS connection driven through memory BIOs. It never touches a socket: the
// owner feeds the ciphertext it read (feed()), takes plaintext out (read()), puts plaintext in
// (write()) and takes the ciphertext to send (takeOutput()).
//
// Ciphertext moves through one BIO of this class's own, whose two buffers hold no memory while
// nothing waits (an idle connection). OpenSSL's memory BIOs keep their largest buffer for life:
// 2-3 KiB per idle connection (heaptrack; 5,000 idle HTTP/1.1-over-TLS connections: 18.0 -> 16.1
// KiB of heap in use each).
//
// A server session that negotiated TLS 1.3 hands its records to Tls13Records when the handshake
// completes and frees the SSL object: an HTTP/2-over-TLS connection receiving events drops from
// 32 to about 18 KiB of gateway RSS (13 KiB idle; bench/RESULTS-h2.md). A server session makes
// its SSL object only at the first handshake() (the ClientHello), not when constructed at accept.
// The traffic secrets come from OpenSSL's key-log callback (the only way to them in OpenSSL 3.0;
// the context installs onKeyLog), are kept in memory for that one moment and wiped. Sequence
// numbers: OpenSSL has opened no record under the client's application key yet (the handshake reads
// stop at the client's Finished; SSL_has_pending() checks it), and every record it wrote in the
// call that completed the handshake (the session tickets) is under the server's application key,
// since its own Finished went out in an earlier call, before the client could send one. TLS 1.2
// sessions and client sessions stay with OpenSSL throughout.
//
// State: kHandshaking -> kOpen -> kClosed (close_notify seen, or a fatal error). A client session
// checks the peer's name (SNI + SSL_set1_host) when its context verifies; verifyError() then
// says why a handshake failed.
// Thread: the loop of its connection. Owner: the transport (one per TLS connection).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls13_records.h"
#include "net/tls_context.h"

namespace ssegate::net {

class TlsSession {
 public:
  enum class State { kHandshaking, kOpen, kClosed };
  enum class Io { kOk, kWantMore, kClosed, kError };
  static constexpr size_t kMinReadBuffer = Tls13Records::kMaxInnerPlaintext;

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
  // Decrypts into buf (cap >= kMinReadBuffer). Returns kOk with *n > 0, kWantMore (no complete
  // record), kClosed (close_notify) or kError.
  Io read(char* buf, size_t cap, size_t* n);
  // Encrypts all of `plain` (memory BIOs never refuse). REQUIRES: state() == kOpen.
  bool write(std::string_view plain);
  // Sends close_notify.
  void shutdown();
  // Ciphertext waiting to be sent.
  size_t pendingOutput() const;
  // Moves the waiting ciphertext into *out (appended; without a copy when *out is empty).
  void takeOutput(std::string* out);

  // The ALPN protocol agreed ("" if none, or before the handshake completes).
  std::string_view alpn() const { return alpn_; }
  bool resumed() const { return resumed_; }
  // Records are protected by ssegate's TLS 1.3 record layer, not OpenSSL's.
  bool offloaded() const { return records_ != nullptr; }
  const std::string& error() const { return error_; }

  // The key-log callback of server contexts: keeps this session's application traffic secrets.
  static void onKeyLog(const SSL* ssl, const char* line);

 private:
  struct Secrets;
  void init(SSL_CTX* ctx);
  void onHandshakeDone(uint64_t records_written);
  Io readRecords(char* buf, size_t cap, size_t* n);
  Io fail(const char* what, int ret);
  static const BIO_METHOD* bioMethod();
  static int bioRead(BIO* bio, char* buf, int len);
  static int bioWrite(BIO* bio, const char* data, int len);
  static long bioCtrl(BIO* bio, int cmd, long num, void* ptr);

  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_ = nullptr;  // owns the BIO; null once offloaded
  std::unique_ptr<Tls13Records> records_;
  std::unique_ptr<Secrets> secrets_;  // server, during the handshake only
  std::string in_;                    // ciphertext from the peer; released once read
  size_t in_read_ = 0;                // bytes of in_ read
  std::string out_;                   // ciphertext to the peer; released when taken
  // Records OpenSSL wrote during a server handshake, from their headers (and what is left of
  // the last one).
  uint64_t out_records_ = 0;
  size_t out_record_left_ = 0;
  unsigned char out_header_[5] = {};
  size_t out_header_have_ = 0;
  State state_ = State::kHandshaking;
  bool server_ = false;
  bool resumed_ = false;
  std::string alpn_;
  std::string error_;
};

}  // namespace ssegate::net
