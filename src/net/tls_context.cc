#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "net/tls_session.h"

namespace ssegate::net {

namespace {
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kGroups[] = "X25519:P-256";

// A readable file, or a message saying why not.
bool checkReadable(const std::string& what, const std::string& path, std::string* error) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = what + " " + path + ": " + (errno == ENOENT ? "no such file" : strerror(errno));
    return false;
  }
  fclose(f);
  return true;
}

bool applyCommon(SSL_CTX* ctx) {
  return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
         SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) == 1 &&
         SSL_CTX_set1_groups_list(ctx, kGroups) == 1;
}
}  // namespace

std::string opensslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

std::shared_ptr<TlsContext> TlsContext::createServer(const std::string& certificate,
                                                     const std::string& private_key,
                                                     std::vector<std::string> alpn,
                                                     std::string* error) {
  ERR_clear_error();
  if (!checkReadable("tls.certificate", certificate, error)) return nullptr;
  if (!checkReadable("tls.private_key", private_key, error)) return nullptr;
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) {
    *error = "SSL_CTX_new: " + opensslErrors();
    return nullptr;
  }
  std::shared_ptr<TlsContext> ctx(new TlsContext(raw, std::move(alpn)));
  if (!applyCommon(raw)) {
    *error = "TLS parameters: " + opensslErrors();
    return nullptr;
  }
  SSL_CTX_set_options(
      raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(raw, reinterpret_cast<const unsigned char*>("ssegate"), 7);
  SSL_CTX_set_timeout(raw, 3600);
  if (SSL_CTX_use_certificate_chain_file(raw, certificate.c_str()) != 1) {
    *error = "tls.certificate " + certificate + ": not a PEM certificate chain (" +
             opensslErrors() + ")";
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(raw, private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      *error = "tls.private_key " + private_key + " does not match tls.certificate " + certificate;
      ERR_clear_error();
    } else {
      *error =
          "tls.private_key " + private_key + ": not a PEM private key (" + opensslErrors() + ")";
    }
    return nullptr;
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    *error = "tls.private_key " + private_key + " does not match tls.certificate " + certificate;
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(raw, &TlsContext::selectAlpn, ctx.get());
  // Hands TLS 1.3 sessions their traffic secrets, so that they can run the records themselves.
  SSL_CTX_set_keylog_callback(raw, &TlsSession::onKeyLog);
  return ctx;
}

int TlsContext::selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen,
                           const unsigned char* in, unsigned int inlen, void* arg) {
  auto* self = static_cast<TlsContext*>(arg);
  // Server preference: the first of our protocols that the client offers.
  for (const std::string& want : self->alpn_) {
    for (unsigned int i = 0; i < inlen;) {
      unsigned int len = in[i];
      if (i + 1 + len > inlen) break;
      if (len == want.size() && memcmp(in + i + 1, want.data(), len) == 0) {
        *out = in + i + 1;
        *outlen = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;  // no ALPN agreement: HTTP/1.1 if the listener allows it
}

std::shared_ptr<TlsContext> TlsContext::createClient(bool verify, const std::string& ca_file,
                                                     std::string* error) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
  if (raw == nullptr) {
    *error = "SSL_CTX_new: " + opensslErrors();
    return nullptr;
  }
  std::shared_ptr<TlsContext> ctx(new TlsContext(raw, {}));
  ctx->verify_ = verify;
  if (!applyCommon(raw)) {
    *error = "TLS parameters: " + opensslErrors();
    return nullptr;
  }
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  if (verify) {
    if (!ca_file.empty()) {
      if (!checkReadable("tls.ca_file", ca_file, error)) return nullptr;
      if (SSL_CTX_load_verify_locations(raw, ca_file.c_str(), nullptr) != 1) {
        *error = "tls.ca_file " + ca_file + ": no PEM certificates (" + opensslErrors() + ")";
        return nullptr;
      }
    } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
      *error = "system CA store: " + opensslErrors();
      return nullptr;
    }
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
  }
  return ctx;
}

}  // namespace ssegate::net
