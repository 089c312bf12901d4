// TlsContext: one OpenSSL SSL_CTX configured the ssegate way, for a TLS listener (server) or for
// https upstreams (client).
//
// Server: TLS 1.2 minimum, AEAD ciphers only (ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3
// defaults), groups X25519 and P-256, SSL_MODE_RELEASE_BUFFERS (an idle connection keeps no
// 16 KiB record buffers), a server-side session cache and tickets for resumption, and ALPN
// selection that honours the listener's protocol order ("h2", "http/1.1").
// Client: the same protocol floor; verification on unless disabled, against ca_file or the
// system default store.
//
// Thread: built on the main thread at start-up (or reload); afterwards immutable and shared by
// every worker (SSL_CTX is reference-counted and thread-safe for SSL_new). Owner: shared_ptr.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace ssegate::net {

class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // `alpn`: protocol ids in preference order ("h2", "http/1.1"). On failure returns null and
  // sets *error to a message naming the file and what is wrong with it.
  static std::shared_ptr<TlsContext> createServer(const std::string& certificate,
                                                  const std::string& private_key,
                                                  std::vector<std::string> alpn,
                                                  std::string* error);
  // `ca_file` empty: the system default verify paths.
  static std::shared_ptr<TlsContext> createClient(bool verify, const std::string& ca_file,
                                                  std::string* error);

  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  TlsContext(SSL_CTX* ctx, std::vector<std::string> alpn) : ctx_(ctx), alpn_(std::move(alpn)) {}
  static int selectAlpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                        const unsigned char* in, unsigned int inlen, void* arg);

  SSL_CTX* ctx_;
  std::vector<std::string> alpn_;  // server preference order
  bool verify_ = false;
};

// The last OpenSSL error queue entries as text (and clears the queue).
std::string opensslErrors();

}  // namespace ssegate::net
