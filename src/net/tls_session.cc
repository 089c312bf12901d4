#include "net/tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"

namespace ssegate::net {

// The application traffic secrets as OpenSSL derives them (raw bytes).
struct TlsSession::Secrets {
  ~Secrets() {
    OPENSSL_cleanse(client.data(), client.size());
    OPENSSL_cleanse(server.data(), server.size());
  }
  std::string client;
  std::string server;
};

// The server's SSL object is made at the first handshake() (the ClientHello), not here: a worker
// accepting faster than it can handshake (a reconnect storm) would otherwise hold an SSL object
// for every accepted connection still waiting its turn, and the heap those leave behind is what
// the connections kept afterwards.
TlsSession::TlsSession(std::shared_ptr<TlsContext> ctx) : ctx_(std::move(ctx)), server_(true) {}

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
  // A server counts the records of its handshake (their 5-byte headers say how long each is);
  // afterwards, and on TLS 1.2 connections that OpenSSL keeps, nothing needs the count.
  if (!self->server_ || self->state_ != State::kHandshaking) return len;
  for (size_t i = 0, n = static_cast<size_t>(len); i < n;) {
    if (self->out_record_left_ > 0) {
      size_t take = std::min(self->out_record_left_, n - i);
      self->out_record_left_ -= take;
      i += take;
      continue;
    }
    self->out_header_[self->out_header_have_++] = static_cast<unsigned char>(data[i++]);
    if (self->out_header_have_ == sizeof(self->out_header_)) {
      self->out_header_have_ = 0;
      self->out_record_left_ =
          (static_cast<size_t>(self->out_header_[3]) << 8) | self->out_header_[4];
      ++self->out_records_;
    }
  }
  return len;
}

void TlsSession::onKeyLog(const SSL* ssl, const char* line) {
  auto* self = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  if (self == nullptr || !self->server_) return;
  // "<label> <client random, hex> <secret, hex>"
  std::string_view text(line);
  std::string* into = nullptr;
  if (text.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0) {
    if (!self->secrets_) self->secrets_ = std::make_unique<Secrets>();
    into = &self->secrets_->client;
  } else if (text.rfind("SERVER_TRAFFIC_SECRET_0 ", 0) == 0) {
    if (!self->secrets_) self->secrets_ = std::make_unique<Secrets>();
    into = &self->secrets_->server;
  } else {
    return;
  }
  size_t at = text.rfind(' ');
  std::string_view hex = text.substr(at + 1);
  into->clear();
  into->reserve(hex.size() / 2);  // one buffer: no unwiped copy left behind by a regrowth
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = OPENSSL_hexchar2int(static_cast<unsigned char>(hex[i]));
    int lo = OPENSSL_hexchar2int(static_cast<unsigned char>(hex[i + 1]));
    if (hi < 0 || lo < 0) {
      into->clear();
      return;
    }
    into->push_back(static_cast<char>(hi << 4 | lo));
  }
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
  if (ssl_ == nullptr) return;
  BIO* bio = BIO_new(bioMethod());
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
  SSL_set_app_data(ssl_, this);
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
  if (ssl_ == nullptr) {
    init(ctx_->get());
    if (ssl_ == nullptr) {
      state_ = State::kClosed;
      error_ = "TLS handshake: SSL_new failed: " + opensslErrors();
      return Io::kError;
    }
    SSL_set_accept_state(ssl_);
  }
  uint64_t records_before = out_records_;
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    state_ = State::kOpen;
    onHandshakeDone(out_records_ - records_before);
    return Io::kOk;
  }
  return fail("TLS handshake", r);
}

// `records_written`: records OpenSSL wrote in the call that completed the handshake, which are
// all under the server's application key (see the header).
void TlsSession::onHandshakeDone(uint64_t records_written) {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  if (p != nullptr) alpn_.assign(reinterpret_cast<const char*>(p), len);
  resumed_ = SSL_session_reused(ssl_) == 1;
  std::unique_ptr<Secrets> secrets = std::move(secrets_);
  if (!server_ || !secrets || SSL_version(ssl_) != TLS1_3_VERSION || SSL_has_pending(ssl_) == 1) {
    return;
  }
  uint16_t suite = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl_));
  std::string why;
  records_ =
      Tls13Records::create(suite, secrets->client, secrets->server, 0, records_written, &why);
  if (!records_) {
    LOG_DEBUG("tls", "TLS 1.3 records stay with OpenSSL: " << why);
    return;
  }
  SSL_free(ssl_);
  ssl_ = nullptr;
}

TlsSession::Io TlsSession::read(char* buf, size_t cap, size_t* n) {
  *n = 0;
  if (state_ != State::kOpen) return state_ == State::kClosed ? Io::kClosed : Io::kWantMore;
  if (records_) return readRecords(buf, cap, n);
  ERR_clear_error();
  size_t got = 0;
  int r = SSL_read_ex(ssl_, buf, cap, &got);
  if (r == 1) {
    *n = got;
    return Io::kOk;
  }
  return fail("TLS read", 0);
}

TlsSession::Io TlsSession::readRecords(char* buf, size_t cap, size_t* n) {
  size_t consumed = 0;
  Tls13Records::Result r =
      records_->open(std::string_view(in_).substr(in_read_), buf, cap, &consumed, n, &out_);
  in_read_ += consumed;
  if (in_read_ == in_.size()) {
    std::string().swap(in_);
    in_read_ = 0;
  }
  switch (r) {
    case Tls13Records::Result::kOk:
      return Io::kOk;
    case Tls13Records::Result::kWantMore:
      return Io::kWantMore;
    case Tls13Records::Result::kClosed:
      state_ = State::kClosed;
      return Io::kClosed;
    case Tls13Records::Result::kError:
      break;
  }
  state_ = State::kClosed;
  error_ = "TLS read: " + records_->error();
  return Io::kError;
}

bool TlsSession::write(std::string_view plain) {
  if (state_ != State::kOpen) return false;
  if (records_) {
    if (records_->sealData(plain, &out_)) return true;
    state_ = State::kClosed;
    error_ = "TLS write: " + records_->error();
    return false;
  }
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
  if (state_ != State::kOpen) return;
  if (records_) {
    records_->sealCloseNotify(&out_);
  } else {
    SSL_shutdown(ssl_);
  }
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

}  // namespace ssegate::net
