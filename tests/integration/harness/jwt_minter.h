// JWTs for integration tests, made with the openssl CLI only (no key material is committed and
// the harness links no crypto library): keys are generated at test time into a temp dir, and
// each token's signing input is signed with `openssl dgst` (ES256 signatures converted from DER
// to the JWS r||s form).
//
// Owned by the test thread. Keys are made lazily, once per minter: RS256 and ES256 have a
// "main" key (the one the gateway trusts) and an "other" key (a wrong signature).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/temp_dir.h"

namespace ssegate::integration {

class JwtMinter {
 public:
  JwtMinter() = default;
  JwtMinter(const JwtMinter&) = delete;
  JwtMinter& operator=(const JwtMinter&) = delete;

  // The file the gateway's identity.jwt needs for `alg`: the secret (HS256) or the public PEM
  // (RS256, ES256). Empty on failure (the openssl CLI failed).
  std::string keyFile(const std::string& alg);

  // A compact JWS: header {"alg": alg_in_header, "typ": "JWT"} and the payload JSON as given,
  // signed with `sign_alg`'s key (main or other). sign_alg "none" gives an empty signature.
  // alg_in_header defaults to sign_alg. Empty on failure.
  std::string sign(const std::string& sign_alg, const std::string& payload_json,
                   bool other_key = false, const std::string& alg_in_header = "");

  // HMAC-SHA256 with the given key bytes (for the alg-confusion token keyed by a public PEM).
  std::string signHmacWithKeyFile(const std::string& payload_json, const std::string& key_file);

  // A payload with sub, iss, aud, exp = now + exp_in, nbf = now + nbf_in, and `extra` (raw JSON
  // members, e.g. "\"channels\":[\"/a/*\"]").
  static std::string claims(const std::string& sub, const std::string& iss, const std::string& aud,
                            int64_t exp_in, int64_t nbf_in = -60, const std::string& extra = "");

  static std::string base64Url(const std::string& bytes);

 private:
  std::string privateKey(const std::string& alg, bool other);
  std::string run(const std::vector<std::string>& argv);  // "" on success, else the output
  std::string signInput(const std::string& input, const std::string& alg, bool other);

  TempDir dir_;
  int seq_ = 0;
};

}  // namespace ssegate::integration
