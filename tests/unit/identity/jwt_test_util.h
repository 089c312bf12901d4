// Test-side JWT minting: keys generated at test time with the openssl CLI (no key material is
// committed), tokens signed with OpenSSL's EVP API.
#pragma once

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "identity/base64url.h"

namespace ssegate::identity::test_util {

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Generated keys live in <test binary dir>/identity-test-keys/<name>/ and are shared by the test
// processes ctest starts (one per test): RSA generation costs ~0.5 s, so each key is made once,
// by the first process that needs it, in a private directory renamed into place atomically.
// Other files (secrets, bad PEMs) go to a per-process temp directory removed at exit.
class TestKeys {
 public:
  static TestKeys& get() {
    static TestKeys keys;
    return keys;
  }

  // Per-process scratch directory.
  const std::string& dir() const { return dir_; }

  // Path of the private PEM of the named key made by `genpkey_args`; the public PEM is
  // publicOf(that path).
  std::string privatePath(const std::string& name, const std::string& genpkey_args) {
    const std::string final_dir = cache_ + "/" + name;
    if (!std::filesystem::exists(final_dir + "/key.pem")) {
      std::string tmp = cache_ + "/.tmp-XXXXXX";
      if (::mkdtemp(tmp.data()) == nullptr) std::abort();
      run("openssl genpkey " + genpkey_args + " -out " + tmp + "/key.pem");
      run("openssl pkey -in " + tmp + "/key.pem -pubout -out " + tmp + "/pub.pem");
      if (std::rename(tmp.c_str(), final_dir.c_str()) != 0) {  // another process won the race
        std::error_code ignored;
        std::filesystem::remove_all(tmp, ignored);
      }
    }
    return final_dir + "/key.pem";
  }

  std::string rsaPrivate() { return privatePath("rsa", kRsa); }
  std::string rsaPublic() { return publicOf(rsaPrivate()); }
  std::string ecPrivate() { return privatePath("ec", kEc); }
  std::string ecPublic() { return publicOf(ecPrivate()); }

  static std::string publicOf(const std::string& private_path) {
    return private_path.substr(0, private_path.rfind('/')) + "/pub.pem";
  }

  std::string writeTemp(const std::string& name, std::string_view text) {
    const std::string path = dir_ + "/" + name;
    writeFile(path, text);
    return path;
  }

  static constexpr char kRsa[] = "-algorithm RSA -pkeyopt rsa_keygen_bits:2048";
  static constexpr char kEc[] = "-algorithm EC -pkeyopt ec_paramgen_curve:P-256";

 private:
  TestKeys() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/ssegate-identity-test-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    dir_ = templ;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    cache_ = (ec ? dir_ : exe.parent_path().string()) + "/identity-test-keys";
    std::filesystem::create_directories(cache_, ec);
  }
  ~TestKeys() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static void run(const std::string& command) {
    const int rc = std::system((command + " 2>/dev/null").c_str());
    ASSERT_EQ(rc, 0) << "failed: " << command;
  }

  std::string dir_;
  std::string cache_;
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

inline PkeyPtr loadPrivateKey(const std::string& path) {
  const std::string pem = readFile(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return PkeyPtr(key, &EVP_PKEY_free);
}

inline std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// DER signature from EVP_DigestSign with SHA-256.
inline std::string digestSign(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    sig.resize(len);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(data.data()), data.size());
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  return sig;
}

// DER ECDSA signature -> JWS R || S (32 bytes each).
inline std::string derToRaw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  if (sig != nullptr) {
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
  }
  return raw;
}

// How to sign: HS256 with `secret`, RS256 / ES256 with the private key at `key_path`, or none.
struct Signer {
  std::string alg;  // written into the header unless header_json is given to mint()
  std::string secret;
  std::string key_path;
};

inline std::string signatureFor(const Signer& signer, std::string_view signing_input) {
  if (signer.alg == "HS256") return hmacSha256(signer.secret, signing_input);
  if (signer.alg == "RS256" || signer.alg == "ES256") {
    PkeyPtr key = loadPrivateKey(signer.key_path);
    EXPECT_NE(key, nullptr) << signer.key_path;
    if (key == nullptr) return {};
    const std::string der = digestSign(key.get(), signing_input);
    return signer.alg == "ES256" ? derToRaw(der) : der;
  }
  return {};  // "none" and anything else: empty signature
}

// A compact JWS over the given JSON texts, signed per `signer` whatever the header says (so a
// test can claim one alg and sign with another).
inline std::string mintRaw(std::string_view header_json, std::string_view payload_json,
                           const Signer& signer) {
  const std::string input = base64UrlEncode(header_json) + "." + base64UrlEncode(payload_json);
  return input + "." + base64UrlEncode(signatureFor(signer, input));
}

inline std::string mint(const Signer& signer, std::string_view payload_json) {
  return mintRaw(R"({"alg":")" + signer.alg + R"(","typ":"JWT"})", payload_json, signer);
}

}  // namespace ssegate::identity::test_util
