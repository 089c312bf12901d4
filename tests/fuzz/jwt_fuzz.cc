// libFuzzer target for JWT handling: JwtVerifier::verify() with HS256 and ES256 verifiers, token
// extraction from headers, query and cookie, and query redaction. Nothing a client sends may
// crash, leak, or make an unsigned token pass; a redacted target never shows the token.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "identity/jwt_verifier.h"
#include "identity/token_source.h"

namespace {

using ssegate::config::Jwt;
using ssegate::identity::JwtVerifier;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "jwt_fuzz: %s\n", what.c_str());
  std::abort();
}

std::string ecPublicKeyPem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("cannot generate an EC key");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

struct Verifiers {
  std::unique_ptr<JwtVerifier> hs;
  std::unique_ptr<JwtVerifier> es;
  Jwt jwt;
};

const Verifiers& verifiers() {
  static const Verifiers* v = [] {
    auto* out = new Verifiers();
    std::string error;
    Jwt hs;
    hs.algorithms = {"HS256"};
    hs.issuer = "iss";
    hs.audience = "aud";
    hs.channels_claim = "channels";
    out->hs = JwtVerifier::createFromKeys(hs, "fuzz-secret", "", &error);
    if (!out->hs) fail("HS256 verifier: " + error);
    Jwt es;
    es.algorithms = {"ES256"};
    out->es = JwtVerifier::createFromKeys(es, "", ecPublicKeyPem(), &error);
    if (!out->es) fail("ES256 verifier: " + error);
    out->jwt = hs;
    return out;
  }();
  return *v;
}

void checkUser(const ssegate::identity::VerifyResult& r) {
  if (!r.ok) return;
  if (r.user.empty() || r.user.size() > JwtVerifier::kMaxUserBytes) fail("bad user size");
  for (unsigned char c : r.user) {
    if (c < 0x20 || c == 0x7f) fail("control character in user");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Verifiers& v = verifiers();
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Both verifiers, at a fixed time. HS256 tokens signed with the fuzz secret are in the seed
  // corpus and may pass; the ES256 key is made afresh at start-up, so nothing can carry a valid
  // signature for it: an accepted token there means the signature check was skipped.
  auto hs = v.hs->verify(input, 1'800'000'000);
  checkUser(hs);
  (void)hs.allowsChannel("/stream/x");
  auto es = v.es->verify(input, 1'800'000'000);
  if (es.ok) fail("an ES256 token without a valid signature was accepted");

  // Token extraction: the input as Authorization, Cookie and query.
  std::string authorization = "Bearer " + std::string(input);
  std::string cookie(input);
  auto header = [&](std::string_view name) -> std::optional<std::string_view> {
    if (name == "authorization" || name == "Authorization") return authorization;
    if (name == "cookie" || name == "Cookie") return cookie;
    return std::nullopt;
  };
  auto token = ssegate::identity::extractToken(v.jwt, header, input);
  if (token && token->token.size() > size + 16) fail("extracted token longer than the input");

  // Redaction: a target carrying a token never shows it afterwards.
  std::string target = "/events/x?access_token=" + std::string(input) + "&b=1";
  std::string redacted = ssegate::identity::redactQuery(target, "access_token");
  if (!input.empty() && input.find_first_of("&#") == std::string_view::npos &&
      redacted != "/events/x?access_token=REDACTED&b=1") {
    fail("redactQuery left the token in the target: " + redacted);
  }
  (void)ssegate::identity::redactQuery(input, "access_token");
  return 0;
}
