#include "net/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

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

const BIO_METHOD* TlsSession::bioMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ssegate TLS buffers");
    BIO_meth_set_read(m, &TlsSession::bioRead);
    BIO_meth_set_write(m, &TlsSession::bioWrite);
    BIO_meth_set_ctrl(m, &TlsSession::bioCtrl);
    return m;
  }();
  return method;
}

// Empty input means "want more" (a retry), not end of file.
int TlsSession::bioRead(BIO* bio, char* buf, int len) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t left = self->in_.size() - self->in_read_;
  if (left == 0 || len <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(left, static_cast<size_t>(len));
  memcpy(buf, self->in_.data() + self->in_read_, n);
  self->in_read_ += n;
  if (self->in_read_ == self->in_.size()) {
    std::string().swap(self->in_);
    self->in_read_ = 0;
  }
  return static_cast<int>(n);
}

int TlsSession::bioWrite(BIO* bio, const char* data, int len) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  self->out_.append(data, static_cast<size_t>(len));
  return len;
}

long TlsSession::bioCtrl(BIO* bio, int cmd, long, void*) {
  auto* self = static_cast<TlsSession*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(self->in_.size() - self->in_read_);
    case BIO_CTRL_WPENDING:
      return static_cast<long>(self->out_.size());
    default:
      return 0;
  }
}

void TlsSession::init(SSL_CTX* ctx) {
  ssl_ = SSL_new(ctx);
  BIO* bio = BIO_new(bioMethod());
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);  // frees the BIO
}

void TlsSession::feed(const char* data, size_t len) {
  in_.append(data, len);
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
  return out_.size();
}

void TlsSession::takeOutput(std::string* out) {
  if (out->empty()) {
    out->swap(out_);
  } else {
    out->append(out_);
  }
  std::string().swap(out_);
}

std::string_view TlsSession::alpn() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view();
}

}  // namespace ssegate::net
