// JwtVerifier::create / createFromKeys: key files, key types and algorithm lists.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "identity/jwt_verifier.h"
#include "jwt_test_util.h"

namespace ssegate::identity {
namespace {

using test_util::mint;
using test_util::Signer;
using test_util::TestKeys;

constexpr int64_t kNow = 1'700'000'000;

config::Jwt jwtWith(std::vector<std::string> algorithms, std::string secret_file = "",
                    std::string public_key_file = "") {
  config::Jwt jwt;
  jwt.algorithms = std::move(algorithms);
  jwt.secret_file = std::move(secret_file);
  jwt.public_key_file = std::move(public_key_file);
  return jwt;
}

std::string createError(const config::Jwt& jwt) {
  std::string error;
  EXPECT_EQ(JwtVerifier::create(jwt, &error), nullptr);
  EXPECT_FALSE(error.empty());
  return error;
}

std::vector<std::string> createAlgorithms(const config::Jwt& jwt) {
  std::string error;
  auto v = JwtVerifier::create(jwt, &error);
  EXPECT_NE(v, nullptr) << error;
  return v ? v->algorithms() : std::vector<std::string>{};
}

TEST(JwtVerifierFactoryTest, SecretFile) {
  TestKeys& keys = TestKeys::get();
  EXPECT_EQ(createError(jwtWith({"HS256"})), "HS256 needs identity.jwt.secret_file");
  EXPECT_EQ(createError(jwtWith({"HS256"}, keys.dir() + "/absent")),
            "cannot open " + keys.dir() + "/absent");
  EXPECT_EQ(createError(jwtWith({"HS256"}, keys.dir())), "cannot read " + keys.dir());
  EXPECT_EQ(createError(jwtWith({"HS256"}, keys.writeTemp("empty", "\n"))),
            "HS256 needs a non-empty secret (secret_file)");
  EXPECT_NE(createError(jwtWith({"HS256"}, keys.writeTemp("big", std::string(70000, 's'))))
                .find("larger than"),
            std::string::npos);

  // `echo secret > file`: the trailing newline is not part of the key.
  std::string error;
  auto v = JwtVerifier::create(jwtWith({"HS256"}, keys.writeTemp("nl", "s3cret\r\n")), &error);
  ASSERT_NE(v, nullptr) << error;
  EXPECT_TRUE(v->verify(mint(Signer{"HS256", "s3cret", ""}, R"({"sub":"a"})"), kNow).ok);
  EXPECT_FALSE(v->verify(mint(Signer{"HS256", "s3cret\n", ""}, R"({"sub":"a"})"), kNow).ok);
}

TEST(JwtVerifierFactoryTest, PublicKeyFile) {
  TestKeys& keys = TestKeys::get();
  EXPECT_EQ(createError(jwtWith({"RS256"})), "RS256 and ES256 need identity.jwt.public_key_file");
  EXPECT_EQ(createError(jwtWith({"ES256"}, "", keys.dir() + "/absent.pem")),
            "cannot open " + keys.dir() + "/absent.pem");
  const std::string garbage = keys.writeTemp("garbage.pem", "-----BEGIN PUBLIC KEY-----\nnope\n");
  EXPECT_EQ(
      createError(jwtWith({"RS256"}, "", garbage)),
      "public_key_file has no PEM public key (BEGIN PUBLIC KEY) or certificate (" + garbage + ")");
  EXPECT_NE(createError(jwtWith({"RS256"}, "", keys.rsaPrivate())).find("holds a private key"),
            std::string::npos);
}

TEST(JwtVerifierFactoryTest, KeyTypeMustMatchTheAlgorithms) {
  TestKeys& keys = TestKeys::get();
  EXPECT_NE(createError(jwtWith({"ES256"}, "", keys.rsaPublic()))
                .find("holds an RSA key, but ES256 needs an EC P-256 key"),
            std::string::npos);
  EXPECT_NE(createError(jwtWith({"RS256"}, "", keys.ecPublic()))
                .find("holds an EC P-256 key, but RS256 needs an RSA key"),
            std::string::npos);
  const std::string p384 = TestKeys::publicOf(
      keys.privatePath("p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"));
  EXPECT_NE(createError(jwtWith({"ES256"}, "", p384)).find("ES256 needs P-256"), std::string::npos);
  const std::string rsa1024 = TestKeys::publicOf(
      keys.privatePath("rsa1024", "-algorithm RSA -pkeyopt rsa_keygen_bits:1024"));
  EXPECT_NE(createError(jwtWith({"RS256"}, "", rsa1024)).find("1024-bit RSA key"),
            std::string::npos);
  const std::string ed25519 = TestKeys::publicOf(keys.privatePath("ed", "-algorithm ED25519"));
  EXPECT_NE(createError(jwtWith({"RS256", "ES256"}, "", ed25519)).find("unsupported key type"),
            std::string::npos);
}

TEST(JwtVerifierFactoryTest, OneKeyServesOneOfRs256AndEs256) {
  TestKeys& keys = TestKeys::get();
  // The config's default list with a public key is [RS256, ES256]: the key picks one.
  EXPECT_EQ(createAlgorithms(jwtWith({"RS256", "ES256"}, "", keys.rsaPublic())),
            std::vector<std::string>{"RS256"});
  EXPECT_EQ(createAlgorithms(jwtWith({"RS256", "ES256"}, "", keys.ecPublic())),
            std::vector<std::string>{"ES256"});
  const std::string secret = keys.writeTemp("factory-secret", "k");
  EXPECT_EQ(
      createAlgorithms(jwtWith({"ES256", "HS256", "RS256", "HS256"}, secret, keys.ecPublic())),
      (std::vector<std::string>{"ES256", "HS256"}));
  // A public key file is not read when no algorithm needs it.
  EXPECT_EQ(createAlgorithms(jwtWith({"HS256"}, secret, keys.dir() + "/absent.pem")),
            std::vector<std::string>{"HS256"});
}

TEST(JwtVerifierFactoryTest, CertificateIsAcceptedAsThePublicKey) {
  TestKeys& keys = TestKeys::get();
  const std::string cert = keys.dir() + "/rsa.crt";
  ASSERT_EQ(std::system(("openssl req -x509 -new -key " + keys.rsaPrivate() +
                         " -subj /CN=test -days 1 -out " + cert + " 2>/dev/null")
                            .c_str()),
            0);
  std::string error;
  auto v = JwtVerifier::create(jwtWith({"RS256"}, "", cert), &error);
  ASSERT_NE(v, nullptr) << error;
  EXPECT_TRUE(v->verify(mint(Signer{"RS256", "", keys.rsaPrivate()}, R"({"sub":"a"})"), kNow).ok);
}

TEST(JwtVerifierFactoryTest, AlgorithmList) {
  EXPECT_EQ(createError(jwtWith({})), "identity.jwt.algorithms is empty");
  EXPECT_EQ(createError(jwtWith({"HS512"})),
            "unsupported JWT algorithm 'HS512' (HS256, RS256, ES256)");
  EXPECT_EQ(createError(jwtWith({"none"})),
            "unsupported JWT algorithm 'none' (HS256, RS256, ES256)");
}

TEST(JwtVerifierFactoryTest, CreateFromKeysInMemory) {
  TestKeys& keys = TestKeys::get();
  std::string error;
  auto v = JwtVerifier::createFromKeys(jwtWith({"HS256", "ES256"}), "mem-secret",
                                       test_util::readFile(keys.ecPublic()), &error);
  ASSERT_NE(v, nullptr) << error;
  EXPECT_TRUE(v->verify(mint(Signer{"HS256", "mem-secret", ""}, R"({"sub":"a"})"), kNow).ok);
  EXPECT_TRUE(v->verify(mint(Signer{"ES256", "", keys.ecPrivate()}, R"({"sub":"a"})"), kNow).ok);
  // A null error pointer is allowed.
  EXPECT_EQ(JwtVerifier::createFromKeys(jwtWith({"RS256"}), "", "", nullptr), nullptr);
  EXPECT_EQ(JwtVerifier::create(jwtWith({"HS256"}), nullptr), nullptr);
}

}  // namespace
}  // namespace ssegate::identity
