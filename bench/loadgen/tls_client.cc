#include "tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>

#include <vector>

namespace loadgen {
namespace {

// One client context per process (created on first use, after any fork).
SSL_CTX* clientContext() {
  static SSL_CTX* context = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
  }();
  return context;
}

bool isAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

TlsClient::TlsClient(std::string_view alpn, const std::string& server_name) {
  ssl_ = SSL_new(clientContext());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  std::vector<unsigned char> protos;
  protos.push_back(static_cast<unsigned char>(alpn.size()));
  protos.insert(protos.end(), alpn.begin(), alpn.end());
  SSL_set_alpn_protos(ssl_, protos.data(), static_cast<unsigned>(protos.size()));
  if (!server_name.empty() && !isAddress(server_name)) {
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  }
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
}

TlsClient::Status TlsClient::fail(const char* what) {
  char text[256];
  unsigned long code = ERR_get_error();
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof(text));
    last_error_ = std::string(what) + ": " + text;
  } else {
    last_error_ = what;
  }
  ERR_clear_error();
  return Status::kError;
}

void TlsClient::drainOutput(std::string* out) {
  char buffer[16384];
  for (int n; (n = BIO_read(out_, buffer, sizeof(buffer))) > 0;) {
    out->append(buffer, static_cast<size_t>(n));
  }
}

TlsClient::Status TlsClient::handshake(std::string* out) {
  if (open_) return Status::kOpen;
  int rc = SSL_do_handshake(ssl_);
  drainOutput(out);
  if (rc == 1) {
    open_ = true;
    return Status::kOpen;
  }
  int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return Status::kHandshaking;
  return fail("TLS handshake failed");
}

TlsClient::Status TlsClient::feed(const char* data, size_t size, std::string* plain,
                                  std::string* out) {
  if (size > 0 && BIO_write(in_, data, static_cast<int>(size)) != static_cast<int>(size)) {
    return fail("BIO_write");
  }
  if (!open_) {
    Status status = handshake(out);
    if (status != Status::kOpen) return status;
  }
  char buffer[16384];
  for (;;) {
    int n = SSL_read(ssl_, buffer, sizeof(buffer));
    if (n > 0) {
      plain->append(buffer, static_cast<size_t>(n));
      continue;
    }
    int error = SSL_get_error(ssl_, n);
    drainOutput(out);  // e.g. a key update or alert
    if (error == SSL_ERROR_WANT_READ) return Status::kOpen;
    if (error == SSL_ERROR_ZERO_RETURN) return fail("closed by the server (close_notify)");
    return fail("TLS read failed");
  }
}

bool TlsClient::write(std::string_view plain, std::string* out) {
  while (!plain.empty()) {
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
    if (n <= 0) {
      fail("TLS write failed");
      return false;
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  drainOutput(out);
  return true;
}

std::string_view TlsClient::alpnSelected() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return std::string_view(reinterpret_cast<const char*>(data), length);
}

}  // namespace loadgen
