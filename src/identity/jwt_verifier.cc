#include "identity/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "identity/base64url.h"
#include "identity/glob.h"

namespace ssegate::identity {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxSecretFileBytes = 64 * 1024;
constexpr size_t kMaxKeyFileBytes = 1024 * 1024;
constexpr size_t kSha256Bytes = 32;
constexpr size_t kP256CoordinateBytes = 32;

// Configuration-time only: reads a whole small file.
bool readSmallFile(const std::string& path, size_t limit, std::string* out, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = "cannot open " + path;
    return false;
  }
  out->clear();
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out->append(buf, n);
    if (out->size() > limit) break;
  }
  const bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (read_error) {
    *error = "cannot read " + path;
    return false;
  }
  if (out->size() > limit) {
    *error = path + " is larger than " + std::to_string(limit) + " bytes";
    return false;
  }
  return true;
}

int refusePassword(char*, int, int, void*) {
  return -1;
}

// A "PUBLIC KEY" PEM block, or else the key of a "CERTIFICATE" block. nullptr if neither.
EVP_PKEY* readPublicKeyPem(std::string_view pem) {
  if (pem.size() > kMaxKeyFileBytes) return nullptr;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, refusePassword, nullptr);
  BIO_free(bio);
  if (key != nullptr) return key;
  bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  X509* cert = PEM_read_bio_X509(bio, nullptr, refusePassword, nullptr);
  BIO_free(bio);
  if (cert != nullptr) {
    key = X509_get_pubkey(cert);
    X509_free(cert);
  }
  return key;
}

std::string ecGroupName(const EVP_PKEY* key) {
  char name[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof name, &len) != 1) return "unknown";
  return std::string(name, len);
}

// The JWS ES256 signature is R || S, 32 bytes each (RFC 7518 3.4); EVP wants DER.
std::optional<std::string> rawEcdsaToDer(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;  // r and s now belong to sig
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// RFC 7519 NumericDate: a JSON number, possibly fractional; saturates instead of overflowing.
// Rounded up: for an integer `now`, now < ceil(x) exactly when now < x, so the exp and nbf
// comparisons stay exact.
bool numericDate(const Json& v, int64_t* out) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (const auto* u = v.get_ptr<const Json::number_unsigned_t*>()) {
    *out = *u > static_cast<uint64_t>(kMax) ? kMax : static_cast<int64_t>(*u);
    return true;
  }
  if (const auto* i = v.get_ptr<const Json::number_integer_t*>()) {
    *out = *i;
    return true;
  }
  if (const auto* d = v.get_ptr<const Json::number_float_t*>()) {
    if (!std::isfinite(*d)) return false;
    if (*d >= 9.2e18) {
      *out = kMax;
    } else if (*d <= -9.2e18) {
      *out = std::numeric_limits<int64_t>::min();
    } else {
      *out = static_cast<int64_t>(std::ceil(*d));
    }
    return true;
  }
  return false;
}

bool validUser(std::string_view user) {
  if (user.empty() || user.size() > JwtVerifier::kMaxUserBytes) return false;
  for (const char c : user) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return false;
  }
  return true;
}

VerifyResult refused(std::string reason) {
  ERR_clear_error();
  VerifyResult r;
  r.error = std::move(reason);
  return r;
}

}  // namespace

bool VerifyResult::allowsChannel(std::string_view channel) const {
  if (!ok) return false;
  if (!channels_restricted) return true;
  for (const std::string& glob : channel_globs) {
    if (globMatch(glob, channel)) return true;
  }
  return false;
}

std::unique_ptr<JwtVerifier> JwtVerifier::create(const config::Jwt& jwt, std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  bool want_secret = false;
  bool want_public_key = false;
  for (const std::string& alg : jwt.algorithms) {
    want_secret |= alg == "HS256";
    want_public_key |= alg == "RS256" || alg == "ES256";
  }
  std::string secret;
  if (want_secret) {
    if (jwt.secret_file.empty()) {
      *error = "HS256 needs identity.jwt.secret_file";
      return nullptr;
    }
    if (!readSmallFile(jwt.secret_file, kMaxSecretFileBytes, &secret, error)) return nullptr;
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  }
  std::string pem;
  if (want_public_key) {
    if (jwt.public_key_file.empty()) {
      *error = "RS256 and ES256 need identity.jwt.public_key_file";
      return nullptr;
    }
    if (!readSmallFile(jwt.public_key_file, kMaxKeyFileBytes, &pem, error)) return nullptr;
  }
  std::unique_ptr<JwtVerifier> verifier = createFromKeys(jwt, std::move(secret), pem, error);
  if (verifier == nullptr && want_public_key && error->rfind("public_key_file", 0) == 0) {
    *error += " (" + jwt.public_key_file + ")";
  }
  return verifier;
}

std::unique_ptr<JwtVerifier> JwtVerifier::createFromKeys(const config::Jwt& jwt, std::string secret,
                                                         std::string_view public_key_pem,
                                                         std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  auto fail = [&](std::string reason) -> std::unique_ptr<JwtVerifier> {
    OPENSSL_cleanse(secret.data(), secret.size());
    ERR_clear_error();
    *error = std::move(reason);
    return nullptr;
  };

  bool want_hs = false;
  bool want_rs = false;
  bool want_es = false;
  for (const std::string& alg : jwt.algorithms) {
    if (alg == "HS256") {
      want_hs = true;
    } else if (alg == "RS256") {
      want_rs = true;
    } else if (alg == "ES256") {
      want_es = true;
    } else {
      return fail("unsupported JWT algorithm '" + alg + "' (HS256, RS256, ES256)");
    }
  }
  if (!want_hs && !want_rs && !want_es) return fail("identity.jwt.algorithms is empty");

  std::unique_ptr<JwtVerifier> v(new JwtVerifier());
  v->issuer_ = jwt.issuer;
  v->audience_ = jwt.audience;
  v->user_claim_ = jwt.user_claim.empty() ? "sub" : jwt.user_claim;
  v->channels_claim_ = jwt.channels_claim;

  if (want_hs) {
    if (secret.empty()) return fail("HS256 needs a non-empty secret (secret_file)");
    v->hmac_ = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (v->hmac_ == nullptr) return fail("OpenSSL has no HMAC");
    v->secret_ = std::move(secret);
    v->hs256_ = true;
  }

  if (want_rs || want_es) {
    v->public_key_ = readPublicKeyPem(public_key_pem);
    if (v->public_key_ == nullptr) {
      if (public_key_pem.find("PRIVATE KEY-----") != std::string_view::npos) {
        return fail(
            "public_key_file holds a private key; give the public key "
            "(openssl pkey -pubout)");
      }
      return fail("public_key_file has no PEM public key (BEGIN PUBLIC KEY) or certificate");
    }
    const int type = EVP_PKEY_get_base_id(v->public_key_);
    if (type == EVP_PKEY_RSA) {
      if (!want_rs)
        return fail("public_key_file holds an RSA key, but ES256 needs an EC P-256 key");
      const int bits = EVP_PKEY_get_bits(v->public_key_);
      if (bits < static_cast<int>(kMinRsaBits)) {
        return fail("public_key_file holds a " + std::to_string(bits) +
                    "-bit RSA key; RS256 needs at least 2048 bits");
      }
      v->rs256_ = true;
    } else if (type == EVP_PKEY_EC) {
      const std::string group = ecGroupName(v->public_key_);
      if (group != SN_X9_62_prime256v1) {
        return fail("public_key_file holds an EC key on " + group + "; ES256 needs P-256");
      }
      if (!want_es)
        return fail("public_key_file holds an EC P-256 key, but RS256 needs an RSA key");
      v->es256_ = true;
    } else {
      return fail("public_key_file holds an unsupported key type; RS256 needs RSA, ES256 EC P-256");
    }
    v->sha256_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (v->sha256_ == nullptr) return fail("OpenSSL has no SHA256");
  }

  for (const std::string& alg : jwt.algorithms) {
    const bool on = (alg == "HS256" && v->hs256_) || (alg == "RS256" && v->rs256_) ||
                    (alg == "ES256" && v->es256_);
    bool seen = false;
    for (const std::string& a : v->algorithms_) seen |= a == alg;
    if (on && !seen) v->algorithms_.push_back(alg);
  }
  ERR_clear_error();
  return v;
}

JwtVerifier::~JwtVerifier() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
  EVP_MAC_free(hmac_);
  EVP_PKEY_free(public_key_);
  EVP_MD_free(sha256_);
}

bool JwtVerifier::enabled(Alg alg) const {
  switch (alg) {
    case Alg::kHs256:
      return hs256_;
    case Alg::kRs256:
      return rs256_;
    case Alg::kEs256:
      return es256_;
  }
  return false;
}

bool JwtVerifier::checkHmac(std::string_view signing_input, std::string_view signature) const {
  if (signature.size() != kSha256Bytes) return false;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  const bool computed =
      ctx != nullptr &&
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret_.data()), secret_.size(),
                   params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) == 1 &&
      EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) == 1;
  EVP_MAC_CTX_free(ctx);
  const bool match = computed && mac_len == kSha256Bytes &&
                     CRYPTO_memcmp(mac, signature.data(), kSha256Bytes) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  return match;
}

bool JwtVerifier::checkDigestSignature(std::string_view signing_input, std::string_view der) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, sha256_, nullptr, public_key_) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool JwtVerifier::checkSignature(Alg alg, std::string_view signing_input,
                                 std::string_view signature) const {
  switch (alg) {
    case Alg::kHs256:
      return hs256_ && checkHmac(signing_input, signature);
    case Alg::kRs256:
      return rs256_ && checkDigestSignature(signing_input, signature);
    case Alg::kEs256: {
      if (!es256_) return false;
      const std::optional<std::string> der = rawEcdsaToDer(signature);
      return der && checkDigestSignature(signing_input, *der);
    }
  }
  return false;
}

VerifyResult JwtVerifier::verify(std::string_view token, int64_t now_seconds) const {
  if (token.empty()) return refused("empty token");
  if (token.size() > kMaxTokenBytes) return refused("token too large");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refused("malformed token: not three parts");
  }
  const std::optional<std::string> header = base64UrlDecode(token.substr(0, dot1));
  const std::optional<std::string> payload =
      base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const std::optional<std::string> signature = base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) return refused("malformed token: bad base64url");

  const Json h = Json::parse(*header, nullptr, /*allow_exceptions=*/false);
  if (h.is_discarded() || !h.is_object()) {
    return refused("malformed token: header is not a JSON object");
  }
  const auto alg_it = h.find("alg");
  const std::string* alg = alg_it == h.end() ? nullptr : alg_it->get_ptr<const std::string*>();
  if (alg == nullptr) return refused("malformed token: no alg");
  Alg a;
  if (*alg == "HS256") {
    a = Alg::kHs256;
  } else if (*alg == "RS256") {
    a = Alg::kRs256;
  } else if (*alg == "ES256") {
    a = Alg::kEs256;
  } else if (*alg == "none") {
    return refused("alg none refused");
  } else {
    return refused("token algorithm not enabled");
  }
  if (!enabled(a)) return refused("token algorithm not enabled");
  // RFC 7515 4.1.11: extensions we do not understand must make the token invalid.
  if (h.find("crit") != h.end()) return refused("unsupported crit header");

  if (!checkSignature(a, token.substr(0, dot2), *signature)) return refused("bad signature");

  VerifyResult result;
  readClaims(*payload, now_seconds, &result);
  if (!result.ok) {
    result.user.clear();
    result.channel_globs.clear();
  }
  ERR_clear_error();
  return result;
}

void JwtVerifier::readClaims(std::string_view payload_json, int64_t now_seconds,
                             VerifyResult* out) const {
  const Json p = Json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  if (p.is_discarded() || !p.is_object()) {
    out->error = "malformed token: payload is not a JSON object";
    return;
  }
  if (const auto it = p.find("exp"); it != p.end()) {
    int64_t exp = 0;
    if (!numericDate(*it, &exp)) {
      out->error = "exp is not a number";
      return;
    }
    if (now_seconds - kLeewaySeconds >= exp) {
      out->error = "token expired";
      return;
    }
    out->expires_at = exp;
  }
  if (const auto it = p.find("nbf"); it != p.end()) {
    int64_t nbf = 0;
    if (!numericDate(*it, &nbf)) {
      out->error = "nbf is not a number";
      return;
    }
    if (now_seconds + kLeewaySeconds < nbf) {
      out->error = "token not yet valid";
      return;
    }
  }
  if (!issuer_.empty()) {
    const auto it = p.find("iss");
    const std::string* iss = it == p.end() ? nullptr : it->get_ptr<const std::string*>();
    if (iss == nullptr || *iss != issuer_) {
      out->error = "wrong issuer";
      return;
    }
  }
  if (!audience_.empty()) {
    bool match = false;
    if (const auto it = p.find("aud"); it != p.end()) {
      if (const std::string* aud = it->get_ptr<const std::string*>()) {
        match = *aud == audience_;
      } else if (it->is_array()) {
        for (const Json& entry : *it) {
          const std::string* aud = entry.get_ptr<const std::string*>();
          match |= aud != nullptr && *aud == audience_;
        }
      }
    }
    if (!match) {
      out->error = "wrong audience";
      return;
    }
  }

  const auto user_it = p.find(user_claim_);
  if (user_it == p.end()) {
    out->error = "user claim '" + user_claim_ + "' missing";
    return;
  }
  if (const std::string* s = user_it->get_ptr<const std::string*>()) {
    out->user = *s;
  } else if (const auto* u = user_it->get_ptr<const Json::number_unsigned_t*>()) {
    out->user = std::to_string(*u);
  } else if (const auto* i = user_it->get_ptr<const Json::number_integer_t*>()) {
    out->user = std::to_string(*i);
  } else {
    out->error = "user claim '" + user_claim_ + "' is not a string or an integer";
    return;
  }
  if (!validUser(out->user)) {
    out->error = "user claim '" + user_claim_ + "' is empty, too long or has control characters";
    return;
  }

  if (!channels_claim_.empty()) {
    out->channels_restricted = true;
    if (const auto it = p.find(channels_claim_); it != p.end()) {
      if (const std::string* one = it->get_ptr<const std::string*>()) {
        out->channel_globs.push_back(*one);
      } else if (it->is_array()) {
        for (const Json& entry : *it) {
          const std::string* glob = entry.get_ptr<const std::string*>();
          if (glob == nullptr) {
            out->error = "channels claim '" + channels_claim_ + "' is not a list of strings";
            return;
          }
          out->channel_globs.push_back(*glob);
        }
      } else {
        out->error = "channels claim '" + channels_claim_ + "' is not a list of strings";
        return;
      }
    }
  }
  out->ok = true;
}

}  // namespace ssegate::identity
