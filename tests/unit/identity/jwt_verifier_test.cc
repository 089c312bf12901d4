#include "identity/jwt_verifier.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "identity/base64url.h"
#include "jwt_test_util.h"

namespace ssegate::identity {
namespace {

using nlohmann::json;
using test_util::mint;
using test_util::mintRaw;
using test_util::Signer;
using test_util::TestKeys;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kSecret[] = "a test secret that is long enough for HS256!";
constexpr char kIssuer[] = "https://auth.example.com";
constexpr char kAudience[] = "events";

json goodClaims() {
  return json{{"sub", "alice"},
              {"iss", kIssuer},
              {"aud", kAudience},
              {"exp", kNow + 600},
              {"nbf", kNow - 10},
              {"iat", kNow - 10},
              {"channels", {"news/*", "room-??"}}};
}

// Replaces the signature part of a token.
std::string withSignature(const std::string& token, std::string_view raw_signature) {
  return token.substr(0, token.rfind('.') + 1) + base64UrlEncode(raw_signature);
}

std::string signatureOf(const std::string& token) {
  return *base64UrlDecode(token.substr(token.rfind('.') + 1));
}

// Runs every test once per algorithm, with a verifier that enables only that algorithm.
class JwtAlgTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TestKeys& keys = TestKeys::get();
    jwt_.algorithms = {alg()};
    jwt_.issuer = kIssuer;
    jwt_.audience = kAudience;
    jwt_.channels_claim = "channels";
    signer_ = signerFor(alg());
    if (alg() == "HS256") jwt_.secret_file = keys.writeTemp("secret", kSecret);
    if (alg() == "RS256") jwt_.public_key_file = keys.rsaPublic();
    if (alg() == "ES256") jwt_.public_key_file = keys.ecPublic();
    std::string error;
    verifier_ = JwtVerifier::create(jwt_, &error);
    ASSERT_NE(verifier_, nullptr) << error;
    EXPECT_EQ(verifier_->algorithms(), std::vector<std::string>{alg()});
  }

  static Signer signerFor(const std::string& alg) {
    TestKeys& keys = TestKeys::get();
    if (alg == "HS256") return Signer{alg, kSecret, ""};
    if (alg == "RS256") return Signer{alg, "", keys.rsaPrivate()};
    return Signer{alg, "", keys.ecPrivate()};
  }

  const std::string& alg() const { return GetParam(); }
  VerifyResult verify(const std::string& token, int64_t now = kNow) const {
    return verifier_->verify(token, now);
  }
  VerifyResult verifyClaims(const json& claims, int64_t now = kNow) const {
    return verify(mint(signer_, claims.dump()), now);
  }
  void expectRefused(const json& claims, const std::string& reason, int64_t now = kNow) const {
    const VerifyResult r = verifyClaims(claims, now);
    EXPECT_FALSE(r.ok) << claims.dump();
    EXPECT_EQ(r.error, reason) << claims.dump();
    EXPECT_TRUE(r.user.empty());
    EXPECT_FALSE(r.allowsChannel("news/today"));
  }

  config::Jwt jwt_;
  Signer signer_;
  std::unique_ptr<JwtVerifier> verifier_;
};

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtAlgTest, ::testing::Values("HS256", "RS256", "ES256"),
                         [](const auto& info) { return info.param; });

TEST_P(JwtAlgTest, ValidToken) {
  const VerifyResult r = verifyClaims(goodClaims());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.expires_at, kNow + 600);
  EXPECT_EQ(r.channel_globs, (std::vector<std::string>{"news/*", "room-??"}));
  EXPECT_TRUE(r.channels_restricted);
  EXPECT_TRUE(r.allowsChannel("news/today"));
  EXPECT_TRUE(r.allowsChannel("room-42"));
  EXPECT_FALSE(r.allowsChannel("room-420"));
  EXPECT_FALSE(r.allowsChannel("sports"));
}

TEST_P(JwtAlgTest, NoExpMeansExpiresAtZero) {
  json claims = goodClaims();
  claims.erase("exp");
  const VerifyResult r = verifyClaims(claims);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.expires_at, 0);
}

TEST_P(JwtAlgTest, Expired) {
  json claims = goodClaims();
  claims["exp"] = kNow - 31;
  expectRefused(claims, "token expired");
  claims["exp"] = kNow - JwtVerifier::kLeewaySeconds;
  expectRefused(claims, "token expired");
  claims["exp"] = kNow - 29;  // within the leeway
  EXPECT_TRUE(verifyClaims(claims).ok);
  claims["exp"] = kNow - 29.5;  // NumericDate may be fractional
  EXPECT_TRUE(verifyClaims(claims).ok);
  EXPECT_FALSE(verifyClaims(goodClaims(), kNow + 631).ok);
  claims["exp"] = "tomorrow";
  expectRefused(claims, "exp is not a number");
}

TEST_P(JwtAlgTest, NotYetValid) {
  json claims = goodClaims();
  claims["nbf"] = kNow + 31;
  expectRefused(claims, "token not yet valid");
  claims["nbf"] = kNow + 30;  // within the leeway
  EXPECT_TRUE(verifyClaims(claims).ok);
  claims["nbf"] = nullptr;
  expectRefused(claims, "nbf is not a number");
}

TEST_P(JwtAlgTest, HugeExpDoesNotOverflow) {
  json claims = goodClaims();
  claims["exp"] = 18446744073709551615ull;
  EXPECT_TRUE(verifyClaims(claims).ok);
  claims["exp"] = 1e300;
  EXPECT_TRUE(verifyClaims(claims).ok);
  claims["exp"] = -1e300;
  expectRefused(claims, "token expired");
}

TEST_P(JwtAlgTest, WrongSignature) {
  const std::string token = mint(signer_, goodClaims().dump());
  std::string sig = signatureOf(token);
  sig[sig.size() / 2] ^= 0x01;
  VerifyResult r = verify(withSignature(token, sig));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "bad signature");

  // The payload changed under an intact signature.
  json other = goodClaims();
  other["sub"] = "mallory";
  const std::string forged = mint(signer_, other.dump());
  const std::string spliced =
      forged.substr(0, forged.rfind('.') + 1) + token.substr(token.rfind('.') + 1);
  r = verify(spliced);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "bad signature");

  // Empty, truncated and over-long signatures.
  EXPECT_EQ(verify(withSignature(token, "")).error, "bad signature");
  EXPECT_EQ(verify(withSignature(token, sig.substr(0, sig.size() - 1))).error, "bad signature");
  EXPECT_EQ(verify(withSignature(token, signatureOf(token) + "x")).error, "bad signature");

  // OpenSSL's per-thread error queue is left clean for TLS code on the same thread.
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_P(JwtAlgTest, WrongKey) {
  Signer other = signer_;
  if (alg() == "HS256") other.secret = "another secret";
  if (alg() == "RS256") other.key_path = TestKeys::get().privatePath("rsa2", TestKeys::kRsa);
  if (alg() == "ES256") other.key_path = TestKeys::get().privatePath("ec2", TestKeys::kEc);
  const VerifyResult r = verify(mint(other, goodClaims().dump()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "bad signature");
}

TEST_P(JwtAlgTest, AlgNotConfigured) {
  for (const char* other : {"HS256", "RS256", "ES256"}) {
    if (other == alg()) continue;
    const VerifyResult r = verify(mint(signerFor(other), goodClaims().dump()));
    EXPECT_FALSE(r.ok) << other;
    EXPECT_EQ(r.error, "token algorithm not enabled") << other;
  }
  // A token signed the right way but labelled with an algorithm we do not know.
  for (const char* label : {"HS512", "RS384", "PS256", "hs256", "EdDSA", ""}) {
    const std::string token = mintRaw(json{{"alg", label}}.dump(), goodClaims().dump(), signer_);
    EXPECT_EQ(verify(token).error, "token algorithm not enabled") << label;
  }
}

TEST_P(JwtAlgTest, AlgNoneRefused) {
  Signer none{"none", "", ""};
  VerifyResult r = verify(mint(none, goodClaims().dump()));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "alg none refused");
  // Even carrying a valid signature of the same input.
  const std::string input =
      base64UrlEncode(R"({"alg":"none"})") + "." + base64UrlEncode(goodClaims().dump());
  const std::string token = input + "." + base64UrlEncode(test_util::signatureFor(signer_, input));
  EXPECT_EQ(verify(token).error, "alg none refused");
  for (const char* label : {"None", "NONE"}) {
    EXPECT_FALSE(verify(mintRaw(json{{"alg", label}}.dump(), goodClaims().dump(), none)).ok);
  }
}

TEST_P(JwtAlgTest, HeaderChecks) {
  const std::string payload = goodClaims().dump();
  EXPECT_EQ(verify(mintRaw(R"({"typ":"JWT"})", payload, signer_)).error, "malformed token: no alg");
  EXPECT_EQ(verify(mintRaw(R"({"alg":256})", payload, signer_)).error, "malformed token: no alg");
  EXPECT_EQ(verify(mintRaw(R"(["HS256"])", payload, signer_)).error,
            "malformed token: header is not a JSON object");
  EXPECT_EQ(verify(mintRaw(R"({"alg":")" + alg() + R"(",)", payload, signer_)).error,
            "malformed token: header is not a JSON object");
  EXPECT_EQ(
      verify(mintRaw(R"({"alg":")" + alg() + R"(","crit":["exp"],"exp":1})", payload, signer_))
          .error,
      "unsupported crit header");
  // kid, typ and unknown members are ignored; URLs are never fetched.
  EXPECT_TRUE(
      verify(mintRaw(R"({"alg":")" + alg() + R"(","kid":"k1","typ":"at+jwt","jku":"http://x/"})",
                     payload, signer_))
          .ok);
}

TEST_P(JwtAlgTest, PayloadMustBeAJsonObject) {
  for (const char* payload :
       {"[1,2]", "\"alice\"", "{\"sub\":", "", "null", "{\"sub\":\"\xff\"}"}) {
    const VerifyResult r = verify(mint(signer_, payload));
    EXPECT_FALSE(r.ok) << payload;
    EXPECT_EQ(r.error, "malformed token: payload is not a JSON object") << payload;
  }
}

TEST_P(JwtAlgTest, WrongIssuer) {
  json claims = goodClaims();
  claims["iss"] = "https://evil.example.com";
  expectRefused(claims, "wrong issuer");
  claims["iss"] = json::array({kIssuer});
  expectRefused(claims, "wrong issuer");
  claims.erase("iss");
  expectRefused(claims, "wrong issuer");
}

TEST_P(JwtAlgTest, WrongAudience) {
  json claims = goodClaims();
  claims["aud"] = "other";
  expectRefused(claims, "wrong audience");
  claims["aud"] = json::array({"a", "b"});
  expectRefused(claims, "wrong audience");
  claims["aud"] = json::array();
  expectRefused(claims, "wrong audience");
  claims["aud"] = 7;
  expectRefused(claims, "wrong audience");
  claims.erase("aud");
  expectRefused(claims, "wrong audience");
  claims["aud"] = json::array({"a", 3, kAudience});
  EXPECT_TRUE(verifyClaims(claims).ok);
}

TEST_P(JwtAlgTest, UserClaim) {
  json claims = goodClaims();
  claims.erase("sub");
  expectRefused(claims, "user claim 'sub' missing");
  claims["sub"] = 12345;
  VerifyResult r = verifyClaims(claims);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.user, "12345");
  claims["sub"] = -7;
  EXPECT_EQ(verifyClaims(claims).user, "-7");
  for (const json& bad :
       {json(1.5), json(true), json(nullptr), json::array({"a"}), json{{"a", 1}}}) {
    claims["sub"] = bad;
    expectRefused(claims, "user claim 'sub' is not a string or an integer");
  }
  for (const json& bad : {json(""), json("a\nb"), json(std::string(257, 'u'))}) {
    claims["sub"] = bad;
    expectRefused(claims, "user claim 'sub' is empty, too long or has control characters");
  }
  claims["sub"] = "j\xc3\xbcrgen@example.com";  // UTF-8 is fine
  EXPECT_TRUE(verifyClaims(claims).ok);
}

TEST_P(JwtAlgTest, ChannelsClaim) {
  json claims = goodClaims();
  claims["channels"] = "public-*";  // a single string is one glob
  VerifyResult r = verifyClaims(claims);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.channel_globs, std::vector<std::string>{"public-*"});
  EXPECT_TRUE(r.allowsChannel("public-1"));

  claims.erase("channels");  // configured but absent: restricted to nothing
  r = verifyClaims(claims);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.channels_restricted);
  EXPECT_TRUE(r.channel_globs.empty());
  EXPECT_FALSE(r.allowsChannel("anything"));

  claims["channels"] = json::array();
  EXPECT_FALSE(verifyClaims(claims).allowsChannel("anything"));
  claims["channels"] = json::array({"*"});
  EXPECT_TRUE(verifyClaims(claims).allowsChannel("anything"));

  for (const json& bad : {json::array({"a", 1}), json(3), json{{"a", "b"}}}) {
    claims["channels"] = bad;
    expectRefused(claims, "channels claim 'channels' is not a list of strings");
  }
}

TEST_P(JwtAlgTest, CustomClaimNames) {
  jwt_.user_claim = "uid";
  jwt_.channels_claim = "";
  jwt_.issuer = "";
  jwt_.audience = "";
  std::string error;
  verifier_ = JwtVerifier::create(jwt_, &error);
  ASSERT_NE(verifier_, nullptr) << error;
  const VerifyResult r = verifyClaims(json{{"uid", 99}, {"channels", 5}, {"aud", 1}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.user, "99");
  EXPECT_FALSE(r.channels_restricted);
  EXPECT_TRUE(r.allowsChannel("whatever"));
  EXPECT_EQ(verifyClaims(json{{"sub", "alice"}}).error, "user claim 'uid' missing");
}

TEST_P(JwtAlgTest, MalformedTokens) {
  const std::string token = mint(signer_, goodClaims().dump());
  ASSERT_TRUE(verify(token).ok);
  const size_t dot1 = token.find('.');
  const size_t dot2 = token.rfind('.');
  const std::string three_parts = "malformed token: not three parts";
  const std::string bad_base64 = "malformed token: bad base64url";
  EXPECT_EQ(verify("").error, "empty token");
  EXPECT_EQ(verify(token.substr(0, dot2)).error, three_parts);
  EXPECT_EQ(verify(token + ".").error, three_parts);
  EXPECT_EQ(verify(token + ".abc").error, three_parts);
  EXPECT_EQ(verify("abc").error, three_parts);
  EXPECT_EQ(verify("..").error, "malformed token: header is not a JSON object");
  EXPECT_EQ(verify(token + "=").error, bad_base64);
  EXPECT_EQ(verify(token.substr(0, dot1) + "=" + token.substr(dot1)).error, bad_base64);
  EXPECT_EQ(verify(" " + token).error, bad_base64);
  EXPECT_EQ(verify(token + "\n").error, bad_base64);
  std::string plus = token;
  plus[dot1 + 1] = '+';
  EXPECT_EQ(verify(plus).error, bad_base64);
  std::string slash = token;
  slash[dot2 + 1] = '/';
  EXPECT_EQ(verify(slash).error, bad_base64);
  EXPECT_EQ(verify("eyJhbGciOiJIUzI1NiJ9x.e30.").error, bad_base64);  // length 1 mod 4
  EXPECT_EQ(verify(base64UrlEncode("{not json") + "." + base64UrlEncode("{}") + ".").error,
            "malformed token: header is not a JSON object");

  const std::string huge_payload =
      json{{"sub", "alice"}, {"pad", std::string(JwtVerifier::kMaxTokenBytes, 'x')}}.dump();
  EXPECT_EQ(verify(mint(signer_, huge_payload)).error, "token too large");
  EXPECT_EQ(verify(std::string(100000, 'a')).error, "token too large");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST_P(JwtAlgTest, SharedAcrossThreads) {
  const std::string good = mint(signer_, goodClaims().dump());
  std::string sig = signatureOf(good);
  sig[0] ^= 0x01;
  const std::string bad = withSignature(good, sig);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!verifier_->verify(good, kNow).ok) failures++;
        if (verifier_->verify(bad, kNow).ok) failures++;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// --- algorithm confusion -------------------------------------------------------------------

TEST(JwtAlgConfusionTest, HmacWithThePublicKeyAsSecretIsRefused) {
  TestKeys& keys = TestKeys::get();
  const std::string public_pem = test_util::readFile(keys.rsaPublic());
  const Signer attacker{"HS256", public_pem, ""};
  const std::string token = mint(attacker, goodClaims().dump());

  config::Jwt jwt;
  jwt.algorithms = {"RS256"};
  jwt.public_key_file = keys.rsaPublic();
  std::string error;
  auto rs_only = JwtVerifier::create(jwt, &error);
  ASSERT_NE(rs_only, nullptr) << error;
  VerifyResult r = rs_only->verify(token, kNow);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "token algorithm not enabled");

  // Default algorithm list with both keys: HS256 is checked against the secret, never the PEM.
  jwt.algorithms = {"HS256", "RS256", "ES256"};
  jwt.secret_file = keys.writeTemp("confusion-secret", kSecret);
  auto both = JwtVerifier::create(jwt, &error);
  ASSERT_NE(both, nullptr) << error;
  EXPECT_EQ(both->algorithms(), (std::vector<std::string>{"HS256", "RS256"}));
  r = both->verify(token, kNow);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "bad signature");
  // ... and the same key file's own tokens still verify.
  EXPECT_TRUE(
      both->verify(mint(Signer{"RS256", "", keys.rsaPrivate()}, goodClaims().dump()), kNow).ok);
  EXPECT_TRUE(both->verify(mint(Signer{"HS256", kSecret, ""}, goodClaims().dump()), kNow).ok);
}

TEST(JwtAlgConfusionTest, EcdsaSignatureUnderAnRsaLabelAndBackIsRefused) {
  TestKeys& keys = TestKeys::get();
  config::Jwt jwt;
  jwt.algorithms = {"RS256", "ES256"};
  jwt.public_key_file = keys.ecPublic();
  std::string error;
  auto es = JwtVerifier::create(jwt, &error);
  ASSERT_NE(es, nullptr) << error;
  EXPECT_EQ(es->algorithms(), std::vector<std::string>{"ES256"});
  const Signer ec{"ES256", "", keys.ecPrivate()};
  // Labelled RS256, signed by the EC key: RS256 is off for an EC key.
  const std::string token = mintRaw(R"({"alg":"RS256"})", goodClaims().dump(), ec);
  EXPECT_EQ(es->verify(token, kNow).error, "token algorithm not enabled");
  // A DER ECDSA signature (what OpenSSL produces) is not the JWS R||S form.
  const std::string input =
      base64UrlEncode(R"({"alg":"ES256"})") + "." + base64UrlEncode(goodClaims().dump());
  test_util::PkeyPtr key = test_util::loadPrivateKey(keys.ecPrivate());
  const std::string der = test_util::digestSign(key.get(), input);
  EXPECT_EQ(es->verify(input + "." + base64UrlEncode(der), kNow).error, "bad signature");
  EXPECT_TRUE(es->verify(input + "." + base64UrlEncode(test_util::derToRaw(der)), kNow).ok);
}

}  // namespace
}  // namespace ssegate::identity
