#include "net/tls13_records.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <tuple>

namespace ssegate::net {
namespace {

constexpr uint8_t kChangeCipherSpec = 20;
constexpr uint8_t kAlert = 21;
constexpr uint8_t kHandshake = 22;
constexpr uint8_t kApplicationData = 23;
constexpr uint8_t kKeyUpdate = 24;  // handshake message type
constexpr uint8_t kCloseNotify = 0;
constexpr uint8_t kUserCanceled = 90;
constexpr size_t kHeader = 5;
constexpr size_t kTag = 16;
constexpr size_t kIv = 12;
constexpr size_t kMaxSecret = 48;
constexpr size_t kMaxPlain = 1u << 14;
constexpr size_t kMaxCiphertext = kMaxPlain + 256;

const EVP_CIPHER* fetchCipher(const char* name) {
  return EVP_CIPHER_fetch(nullptr, name, nullptr);  // kept for the process's life
}

// HKDF-Expand-Label(secret, label, "", out_len) (RFC 8446 7.1).
bool expandLabel(const char* digest, const unsigned char* secret, size_t secret_len,
                 std::string_view label, unsigned char* out, size_t out_len) {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  unsigned char info[2 + 1 + 32 + 1];
  size_t full = 6 + label.size();
  if (kdf == nullptr || full > 32) return false;
  info[0] = static_cast<unsigned char>(out_len >> 8);
  info[1] = static_cast<unsigned char>(out_len);
  info[2] = static_cast<unsigned char>(full);
  memcpy(info + 3, "tls13 ", 6);
  memcpy(info + 9, label.data(), label.size());
  info[3 + full] = 0;  // empty context
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  if (kctx == nullptr) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(secret),
                                        secret_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 4 + full),
      OSSL_PARAM_construct_end()};
  bool ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  return ok;
}

}  // namespace

void Tls13Records::Direction::nonce(unsigned char* out) const {
  memcpy(out, iv, kIv);
  for (int i = 0; i < 8; ++i) out[kIv - 1 - i] ^= static_cast<unsigned char>(seq >> (8 * i));
}

// Why per thread: measured with 10,000 HTTP/1.1-over-TLS subscribers, a context per connection
// and direction spent most of the seal in EVP_CipherInit_ex2 and EVP_EncryptUpdate touching that
// connection's cold context (the record's AES work, CRYPTO_gcm128_encrypt_ctr32, was a seventh
// of it). A hot context keyed per record costs the AES key expansion and GHASH key setup instead.
EVP_CIPHER_CTX* Tls13Records::keyed(const Direction& dir, bool encrypt) const {
  struct Contexts {
    EVP_CIPHER_CTX* ctx[3][2] = {};
    ~Contexts() {
      for (auto& row : ctx) {
        for (EVP_CIPHER_CTX* c : row) EVP_CIPHER_CTX_free(c);
      }
    }
  };
  thread_local Contexts contexts;
  int enc = encrypt ? 1 : 0;
  EVP_CIPHER_CTX*& ctx = contexts.ctx[suite_slot_][enc];
  if (ctx == nullptr) {
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr) return nullptr;
    if (EVP_CipherInit_ex2(ctx, cipher_, nullptr, nullptr, enc, nullptr) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      ctx = nullptr;
      return nullptr;
    }
  }
  unsigned char nonce[kIv];
  dir.nonce(nonce);
  return EVP_CipherInit_ex2(ctx, nullptr, dir.key, nonce, enc, nullptr) == 1 ? ctx : nullptr;
}

Tls13Records::Tls13Records() = default;

Tls13Records::~Tls13Records() {
  OPENSSL_cleanse(&read_, sizeof(read_));
  OPENSSL_cleanse(&write_, sizeof(write_));
}

std::unique_ptr<Tls13Records> Tls13Records::create(uint16_t suite, std::string_view read_secret,
                                                   std::string_view write_secret, uint64_t read_seq,
                                                   uint64_t write_seq, std::string* error) {
  static const EVP_CIPHER* const aes128 = fetchCipher("AES-128-GCM");
  static const EVP_CIPHER* const aes256 = fetchCipher("AES-256-GCM");
  static const EVP_CIPHER* const chacha = fetchCipher("ChaCha20-Poly1305");
  std::unique_ptr<Tls13Records> r(new Tls13Records());
  size_t hash_len = 32;
  switch (suite) {
    case 0x1301:
      r->cipher_ = aes128, r->suite_slot_ = 0, r->digest_ = "SHA256", r->key_len_ = 16;
      break;
    case 0x1302:
      r->cipher_ = aes256, r->suite_slot_ = 1, r->digest_ = "SHA384", r->key_len_ = 32;
      hash_len = 48;
      break;
    case 0x1303:
      r->cipher_ = chacha, r->suite_slot_ = 2, r->digest_ = "SHA256", r->key_len_ = 32;
      break;
    default:
      *error = "TLS 1.3 suite " + std::to_string(suite) + " is not handled";
      return nullptr;
  }
  if (r->cipher_ == nullptr) {
    *error = "cipher unavailable";
    return nullptr;
  }
  if (read_secret.size() != hash_len || write_secret.size() != hash_len) {
    *error = "traffic secret of the wrong length";
    return nullptr;
  }
  for (auto [dir, secret, seq] : {std::tuple{&r->read_, read_secret, read_seq},
                                  std::tuple{&r->write_, write_secret, write_seq}}) {
    memcpy(dir->secret, secret.data(), secret.size());
    dir->secret_len = secret.size();
    if (!r->rekey(dir)) {
      *error = "traffic key derivation failed";
      return nullptr;
    }
    dir->seq = seq;
  }
  // Fail here, not at the first record, if this thread's context cannot be made or keyed.
  if (r->keyed(r->write_, true) == nullptr || r->keyed(r->read_, false) == nullptr) {
    *error = "AEAD context setup failed";
    return nullptr;
  }
  return r;
}

// Keys `dir` from its current secret: key and IV by HKDF-Expand-Label; sequence back to 0.
bool Tls13Records::rekey(Direction* dir) {
  dir->seq = 0;
  return expandLabel(digest_, dir->secret, dir->secret_len, "key", dir->key, key_len_) &&
         expandLabel(digest_, dir->secret, dir->secret_len, "iv", dir->iv, kIv);
}

// The next generation of `dir`'s secret (RFC 8446 7.2), and its keys.
bool Tls13Records::update(Direction* dir) {
  static_assert(sizeof(dir->secret) == kMaxSecret && sizeof(dir->iv) == kIv);
  unsigned char next[kMaxSecret];
  if (!expandLabel(digest_, dir->secret, dir->secret_len, "traffic upd", next, dir->secret_len)) {
    return false;
  }
  memcpy(dir->secret, next, dir->secret_len);
  OPENSSL_cleanse(next, sizeof(next));
  return rekey(dir);
}

bool Tls13Records::sealData(std::string_view plain, std::string* out) {
  return plain.empty() || sealRecord(kApplicationData, plain, out);
}

bool Tls13Records::sealCloseNotify(std::string* out) {
  const char alert[2] = {1 /* warning */, static_cast<char>(kCloseNotify)};
  return sealRecord(kAlert, std::string_view(alert, 2), out);
}

bool Tls13Records::sealRecord(uint8_t type, std::string_view plain, std::string* out) {
  Direction& w = write_;
  do {
    size_t chunk = std::min(plain.size(), kMaxPlain);
    size_t body = chunk + 1 + kTag;
    size_t at = out->size();
    out->resize(at + kHeader + body);
    auto* p = reinterpret_cast<unsigned char*>(out->data()) + at;
    p[0] = kApplicationData;  // the outer type of every protected record
    p[1] = 3;
    p[2] = 3;
    p[3] = static_cast<unsigned char>(body >> 8);
    p[4] = static_cast<unsigned char>(body);
    // The inner plaintext (content, then its type) is encrypted in place in one update.
    unsigned char* c = p + kHeader;
    memcpy(c, plain.data(), chunk);
    c[chunk] = type;
    int len = 0;
    int total = 0;
    EVP_CIPHER_CTX* ctx = w.seq != UINT64_MAX ? keyed(w, true) : nullptr;
    bool ok = ctx != nullptr && EVP_EncryptUpdate(ctx, nullptr, &len, p, kHeader) == 1 &&
              EVP_EncryptUpdate(ctx, c, &len, c, static_cast<int>(chunk + 1)) == 1;
    total = len;
    ok = ok && EVP_EncryptFinal_ex(ctx, c + total, &len) == 1;
    total += len;
    ok = ok && static_cast<size_t>(total) == chunk + 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTag, c + total) == 1;
    if (!ok) {
      out->resize(at);
      fail("TLS record encryption failed");
      return false;
    }
    ++w.seq;
    plain.remove_prefix(chunk);
  } while (!plain.empty());
  return true;
}

Tls13Records::Result Tls13Records::open(std::string_view in, char* buf, size_t cap,
                                        size_t* consumed, size_t* n, std::string* out) {
  *consumed = 0;
  *n = 0;
  if (final_ != Result::kOk) return final_;
  if (cap < kMaxInnerPlaintext) return fail("TLS read buffer too small");
  bool progress = false;
  for (;;) {
    size_t left = in.size() - *consumed;
    if (left < kHeader) break;
    const auto* rec = reinterpret_cast<const unsigned char*>(in.data()) + *consumed;
    size_t body = (static_cast<size_t>(rec[3]) << 8) | rec[4];
    if (rec[0] != kApplicationData) {
      return fail(rec[0] == kChangeCipherSpec
                      ? "TLS change_cipher_spec after the handshake"
                      : "TLS record of type " + std::to_string(rec[0]) + " after the handshake");
    }
    if (body > kMaxCiphertext || body < kTag + 1) {
      return fail("TLS record of " + std::to_string(body) + " bytes (record_overflow)");
    }
    if (left < kHeader + body || cap - *n < body - kTag) break;
    size_t got = 0;
    Result r = openOne(rec, kHeader + body, buf + *n, &got, out);
    *consumed += kHeader + body;
    progress = true;
    if (r != Result::kOk) {
      final_ = r;
      return *n == 0 ? r : Result::kOk;  // the data before it first
    }
    *n += got;
  }
  return progress ? Result::kOk : Result::kWantMore;
}

Tls13Records::Result Tls13Records::openOne(const unsigned char* rec, size_t len, char* buf,
                                           size_t* n, std::string* out) {
  Direction& r = read_;
  size_t clen = len - kHeader - kTag;
  auto* plain = reinterpret_cast<unsigned char*>(buf);
  int got = 0;
  int total = 0;
  EVP_CIPHER_CTX* ctx = r.seq != UINT64_MAX ? keyed(r, false) : nullptr;
  bool ok = ctx != nullptr && EVP_DecryptUpdate(ctx, nullptr, &got, rec, kHeader) == 1 &&
            EVP_DecryptUpdate(ctx, plain, &got, rec + kHeader, static_cast<int>(clen)) == 1;
  total = got;
  ok = ok &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag,
                           const_cast<unsigned char*>(rec + kHeader + clen)) == 1 &&
       EVP_DecryptFinal_ex(ctx, plain + total, &got) == 1;
  if (!ok) return fail("TLS record failed authentication (bad_record_mac)");
  ++r.seq;
  // Inner plaintext: content, the real type, then zero padding (RFC 8446 5.2).
  size_t end = clen;
  while (end > 0 && plain[end - 1] == 0) --end;
  if (end == 0) return fail("TLS record without a content type");
  uint8_t type = plain[end - 1];
  size_t content = end - 1;
  if (content > kMaxPlain) return fail("TLS record over 16 KiB (record_overflow)");
  switch (type) {
    case kApplicationData:
      *n = content;
      return Result::kOk;
    case kAlert:
      if (content != 2) return fail("malformed TLS alert");
      if (plain[1] == kCloseNotify) return Result::kClosed;
      if (plain[1] == kUserCanceled) return Result::kOk;  // close_notify follows
      return fail("TLS alert " + std::to_string(plain[1]) + " from the peer");
    case kHandshake:
      return onHandshake(plain, content, out);
    default:
      return fail("TLS content type " + std::to_string(type) + " after the handshake");
  }
}

Tls13Records::Result Tls13Records::onHandshake(const unsigned char* msg, size_t len,
                                               std::string* out) {
  if (len < 4) return fail("fragmented TLS post-handshake message");
  size_t body = (static_cast<size_t>(msg[1]) << 16) | (static_cast<size_t>(msg[2]) << 8) | msg[3];
  if (msg[0] != kKeyUpdate) {
    return fail("TLS handshake message " + std::to_string(msg[0]) + " after the handshake");
  }
  // KeyUpdate: one byte, and the record ends with it (a key change aligns with a record).
  if (body != 1 || len != 5) return fail("malformed TLS KeyUpdate");
  uint8_t request = msg[4];
  if (request > 1) return fail("TLS KeyUpdate with an illegal request_update");
  if (!update(&read_)) return fail("TLS key update failed");
  if (request == 1) {
    // Ours, under the old key, before any more data (RFC 8446 4.6.3).
    const char mine[5] = {static_cast<char>(kKeyUpdate), 0, 0, 1, 0};
    if (!sealRecord(kHandshake, std::string_view(mine, 5), out)) return Result::kError;
    if (!update(&write_)) return fail("TLS key update failed");
  }
  return Result::kOk;
}

Tls13Records::Result Tls13Records::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  final_ = Result::kError;
  return Result::kError;
}

}  // namespace ssegate::net
