#include "net/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace ssegate::net {

TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx) : ctx_(std::move(ctx)) {
  init(ctx_->get());
  SSL_set_accept_state(ssl_);
}

TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx, const std::string& server_name)
    : ctx_(std::move(ctx)) {
  init(ctx_->get());
  if (!server_name.empty()) {
    // SNI is for host names only, not IP literals (RFC 6066 3).
    bool is_ip = server_name.find_first_not_of("0123456789.") == std::string::npos ||
                 server_name.find(':') != std::string::npos;
    if (!is_ip) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    if (ctx_->verify()) {
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), server_name.c_str());
      } else {
        SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl_, server_name.c_str());
      }
    }
  }
  SSL_set_connect_state(ssl_);
}

void TlsSession::init(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in_, -1);  // empty input means "want more", not EOF
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);  // frees both BIOs
}

void TlsSession::feed(const char* data, size_t len) {
  while (len > 0) {
    int n = BIO_write(in_, data, static_cast<int>(len > (1u << 30) ? (1u << 30) : len));
    if (n <= 0) return;
    data += n;
    len -= static_cast<size_t>(n);
  }
}

TlsSession::Io TlsSession::fail(const char* what, int ret) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Io::kWantMore;
  if (err == SSL_ERROR_ZERO_RETURN) {
    state_ = State::kClosed;
    return Io::kClosed;
  }
  state_ = State::kClosed;
  error_ = what;
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    error_ += ": certificate verification failed: ";
    error_ += X509_verify_cert_error_string(verify);
    ERR_clear_error();
  } else {
    error_ += ": ";
    error_ += opensslErrors();
  }
  return Io::kError;
}

TlsSession::Io TlsSession::handshake() {
  if (state_ == State::kOpen) return Io::kOk;
  if (state_ == State::kClosed) return Io::kError;
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    state_ = State::kOpen;
    return Io::kOk;
  }
  return fail("TLS handshake", r);
}

TlsSession::Io TlsSession::read(char* buf, size_t cap, size_t* n) {
  *n = 0;
  if (state_ != State::kOpen) return state_ == State::kClosed ? Io::kClosed : Io::kWantMore;
  ERR_clear_error();
  size_t got = 0;
  int r = SSL_read_ex(ssl_, buf, cap, &got);
  if (r == 1) {
    *n = got;
    return Io::kOk;
  }
  return fail("TLS read", 0);
}

bool TlsSession::write(std::string_view plain) {
  if (state_ != State::kOpen) return false;
  ERR_clear_error();
  size_t written = 0;
  while (!plain.empty()) {
    if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) != 1) {
      fail("TLS write", 0);
      return false;
    }
    plain.remove_prefix(written);
  }
  return true;
}

void TlsSession::shutdown() {
  if (state_ == State::kOpen) SSL_shutdown(ssl_);
}

size_t TlsSession::pendingOutput() const {
  return BIO_ctrl_pending(out_);
}

void TlsSession::takeOutput(std::string* out) {
  size_t n = BIO_ctrl_pending(out_);
  if (n == 0) return;
  size_t old = out->size();
  out->resize(old + n);
  int got = BIO_read(out_, out->data() + old, static_cast<int>(n));
  out->resize(old + (got > 0 ? static_cast<size_t>(got) : 0));
}

std::string_view TlsSession::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view();
}

}  // namespace ssegate::net
