// JwtVerifier: checks a JWS compact token (RFC 7515/7519) against identity.jwt (DESIGN A3) and
// returns who the subscriber is. Socket-free and clock-free: the caller passes the time.
//
// Built by create() (reads secret_file / public_key_file) or createFromKeys() (key material in
// memory), which refuse a configuration that cannot work and say why. Each algorithm is bound to
// one key for the verifier's life: HS256 only ever uses the secret, RS256 only an RSA public key
// (>= 2048 bits), ES256 only an EC P-256 public key. That, plus refusing "none" and any alg not
// enabled, is the algorithm-confusion defence: an HS256 token whose HMAC key is the RSA public key
// PEM is refused (HS256 not enabled, or checked against the secret, never against the PEM).
//
// public_key_file holds one key, yet the config's default algorithms with a public key are
// [RS256, ES256]: the algorithm the key cannot serve is dropped (algorithms() says what is on).
// Listing only algorithms the key cannot serve is an error.
//
// verify() order: size (kMaxTokenBytes), three strict base64url parts, header JSON object with an
// enabled "alg" and no "crit", signature, then the payload: exp/nbf with kLeewaySeconds, iss and
// aud when configured (aud a string or an array of strings), the user claim (non-empty string of at
// most kMaxUserBytes without control characters, or an integer, stringified), and the channels
// claim when configured (an array of strings, or one string). An absent channels claim with
// channels_claim configured means no channel is allowed, not every channel. iat, kid, typ are
// ignored; no URL in the token (jku, x5u) is ever fetched.
//
// No exception leaves verify(); errors are short texts without token bytes. OpenSSL's per-thread
// error queue is cleared before verify() returns, so TLS code on the same thread sees no stale
// errors.
//
// Immutable after construction: one instance may be shared by every worker thread (the OpenSSL
// keys are only read; per-call contexts are created per call). Owned by whoever built it
// (the gateway, per configuration generation).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace ssegate::identity {

struct VerifyResult {
  bool ok = false;
  std::string error;  // why !ok, e.g. "token expired"; never contains token bytes
  std::string user;   // the user claim, stringified
  std::vector<std::string> channel_globs;  // patterns from the channels claim (see glob.h)
  // True when channels_claim is configured: only channels matching channel_globs are allowed
  // (none if the claim is absent or empty). False: the token does not restrict channels.
  bool channels_restricted = false;
  int64_t expires_at = 0;  // exp in seconds since the epoch, 0 if the token has none

  // Whether this identity may subscribe to `channel`: true when not restricted, else when some
  // glob matches. Always false when !ok.
  bool allowsChannel(std::string_view channel) const;
};

class JwtVerifier {
 public:
  static constexpr size_t kMaxTokenBytes = 8 * 1024;
  static constexpr int64_t kLeewaySeconds = 30;
  static constexpr size_t kMaxUserBytes = 256;
  static constexpr size_t kMinRsaBits = 2048;

  // Reads jwt.secret_file (when HS256 is listed; trailing CR/LF removed, so `echo s > file` works)
  // and jwt.public_key_file (when RS256 or ES256 is listed; PEM "PUBLIC KEY", or a certificate
  // whose key is used). nullptr on failure with the reason in *error (if non-null).
  static std::unique_ptr<JwtVerifier> create(const config::Jwt& jwt, std::string* error);

  // As create() with the key material given: `secret` is used byte for byte, `public_key_pem`
  // may be empty when neither RS256 nor ES256 is listed. The *_file fields are ignored.
  static std::unique_ptr<JwtVerifier> createFromKeys(const config::Jwt& jwt, std::string secret,
                                                     std::string_view public_key_pem,
                                                     std::string* error);

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // `now_seconds`: current time in seconds since the epoch.
  VerifyResult verify(std::string_view token, int64_t now_seconds) const;

  // Enabled algorithms, in config order ("HS256", "RS256", "ES256").
  const std::vector<std::string>& algorithms() const { return algorithms_; }

 private:
  enum class Alg { kHs256, kRs256, kEs256 };

  JwtVerifier() = default;
  bool enabled(Alg alg) const;
  bool checkSignature(Alg alg, std::string_view signing_input, std::string_view signature) const;
  bool checkHmac(std::string_view signing_input, std::string_view signature) const;
  bool checkDigestSignature(std::string_view signing_input, std::string_view der) const;
  void readClaims(std::string_view payload_json, int64_t now_seconds, VerifyResult* out) const;

  std::string issuer_;
  std::string audience_;
  std::string user_claim_;
  std::string channels_claim_;
  std::vector<std::string> algorithms_;
  bool hs256_ = false;
  bool rs256_ = false;
  bool es256_ = false;
  std::string secret_;              // HS256 key; cleansed on destruction
  EVP_MAC* hmac_ = nullptr;         // fetched once; per-call EVP_MAC_CTX
  EVP_PKEY* public_key_ = nullptr;  // RSA or EC P-256; only read after construction
  EVP_MD* sha256_ = nullptr;        // fetched once for EVP_DigestVerifyInit
};

}  // namespace ssegate::identity
