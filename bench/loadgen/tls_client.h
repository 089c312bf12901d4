// TlsClient: the client side of one TLS connection, driven through memory BIOs.
//
// Loop thread of the owning MuxConnection; one per connection attempt. It never touches the
// socket: received ciphertext goes in through feed(), and every call appends the ciphertext to
// send to *out. No certificate verification (a test tool on loopback: --insecure is the only
// mode); SNI is the URL's host when it is a name. SSL_MODE_RELEASE_BUFFERS keeps idle
// connections small, so that thousands of them fit in the load generator.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace loadgen {

class TlsClient {
 public:
  enum class Status { kHandshaking, kOpen, kError };

  // `alpn` is the one protocol offered ("h2" or "http/1.1"); `server_name` may be empty.
  TlsClient(std::string_view alpn, const std::string& server_name);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Starts (the first call) or continues the handshake.
  Status handshake(std::string* out);
  // Received ciphertext: decrypted application bytes are appended to *plain. Returns kError on
  // a TLS failure or the peer's close_notify; kHandshaking while the handshake is not done.
  Status feed(const char* data, size_t size, std::string* plain, std::string* out);
  // Encrypts application bytes. REQUIRES: status kOpen.
  bool write(std::string_view plain, std::string* out);
  // The protocol the server selected through ALPN ("" when none).
  std::string_view alpnSelected() const;
  // The last OpenSSL error, for a log line.
  std::string lastError() const { return last_error_; }

 private:
  void drainOutput(std::string* out);
  Status fail(const char* what);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the network (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext to the network (owned by ssl_)
  bool open_ = false;
  std::string last_error_;
};

}  // namespace loadgen
