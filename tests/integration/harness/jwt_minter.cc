#include "harness/jwt_minter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "harness/child_process.h"

namespace ssegate::integration {

namespace {
bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// DER ECDSA-Sig-Value (SEQUENCE of two INTEGERs) -> 64 bytes r||s. "" if malformed.
std::string derToRaw(const std::string& der) {
  size_t pos = 0;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(der[i]); };
  if (der.size() < 8 || byte(0) != 0x30) return "";
  pos = 2;
  if (byte(1) & 0x80) pos += byte(1) & 0x7f;
  std::string out;
  for (int part = 0; part < 2; ++part) {
    if (pos + 2 > der.size() || byte(pos) != 0x02) return "";
    size_t len = byte(pos + 1);
    pos += 2;
    if (pos + len > der.size()) return "";
    std::string v = der.substr(pos, len);
    pos += len;
    while (v.size() > 32 && v[0] == '\0') v.erase(0, 1);
    if (v.size() > 32) return "";
    out += std::string(32 - v.size(), '\0') + v;
  }
  return out;
}
}  // namespace

std::string JwtMinter::base64Url(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::string JwtMinter::claims(const std::string& sub, const std::string& iss,
                              const std::string& aud, int64_t exp_in, int64_t nbf_in,
                              const std::string& extra) {
  const int64_t now = static_cast<int64_t>(time(nullptr));
  std::string p = "{\"sub\":\"" + sub + "\",\"iss\":\"" + iss + "\",\"aud\":\"" + aud +
                  "\",\"exp\":" + std::to_string(now + exp_in) +
                  ",\"nbf\":" + std::to_string(now + nbf_in);
  if (!extra.empty()) p += "," + extra;
  return p + "}";
}

std::string JwtMinter::run(const std::vector<std::string>& argv_in) {
  // ChildProcess execs a path: find openssl on $PATH once.
  static const std::string openssl = [] {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string candidate = dirs.substr(start, end - start) + "/openssl";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
    return std::string("/usr/bin/openssl");
  }();
  std::vector<std::string> argv = argv_in;
  argv[0] = openssl;
  CommandResult r = runCommand(argv, dir_.file("openssl.out"), Millis(60000));
  if (!r.timed_out && r.exit.exited && r.exit.code == 0) return "";
  return r.output.empty() ? std::string("openssl failed") : r.output;
}

std::string JwtMinter::privateKey(const std::string& alg, bool other) {
  const std::string name = alg + (other ? "-other" : "-main");
  const std::string path = dir_.file(name + ".pem");
  if (exists(path)) return path;
  if (alg == "HS256") {
    dir_.write(name + ".pem", other ? "another-secret-not-the-gateways-0123456789"
                                    : "integration-test-secret-0123456789abcdef");
    return path;
  }
  std::vector<std::string> argv = {"openssl", "genpkey", "-algorithm"};
  if (alg == "RS256") {
    argv.insert(argv.end(), {"RSA", "-pkeyopt", "rsa_keygen_bits:2048"});
  } else {
    argv.insert(argv.end(), {"EC", "-pkeyopt", "ec_paramgen_curve:P-256"});
  }
  argv.insert(argv.end(), {"-out", path});
  if (!run(argv).empty()) return "";
  if (!run({"openssl", "pkey", "-in", path, "-pubout", "-out", dir_.file(name + ".pub")}).empty()) {
    return "";
  }
  return path;
}

std::string JwtMinter::keyFile(const std::string& alg) {
  const std::string priv = privateKey(alg, false);
  if (priv.empty() || alg == "HS256") return priv;
  return dir_.file(alg + "-main.pub");
}

std::string JwtMinter::signInput(const std::string& input, const std::string& alg, bool other) {
  const std::string in = dir_.write("input-" + std::to_string(++seq_), input);
  const std::string sig = dir_.file("sig-" + std::to_string(seq_));
  const std::string key = privateKey(alg, other);
  if (key.empty()) return "";
  std::string err;
  if (alg == "HS256") {
    err = run({"openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", "key:" + readFile(key),
               "-binary", "-out", sig, in});
  } else {
    err = run({"openssl", "dgst", "-sha256", "-sign", key, "-binary", "-out", sig, in});
  }
  if (!err.empty()) return "";
  std::string bytes = readFile(sig);
  if (alg == "ES256") bytes = derToRaw(bytes);
  return bytes.empty() ? "" : base64Url(bytes);
}

std::string JwtMinter::sign(const std::string& sign_alg, const std::string& payload_json,
                            bool other_key, const std::string& alg_in_header) {
  const std::string header_alg = alg_in_header.empty() ? sign_alg : alg_in_header;
  const std::string input =
      base64Url("{\"alg\":\"" + header_alg + "\",\"typ\":\"JWT\"}") + "." + base64Url(payload_json);
  if (sign_alg == "none") return input + ".";
  const std::string sig = signInput(input, sign_alg, other_key);
  return sig.empty() ? "" : input + "." + sig;
}

std::string JwtMinter::signHmacWithKeyFile(const std::string& payload_json,
                                           const std::string& key_file) {
  const std::string input =
      base64Url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + base64Url(payload_json);
  const std::string in = dir_.write("input-" + std::to_string(++seq_), input);
  const std::string sig = dir_.file("sig-" + std::to_string(seq_));
  // hexkey: the PEM bytes exactly, newlines included.
  std::string hex;
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : readFile(key_file)) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  if (!run({"openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + hex, "-binary",
            "-out", sig, in})
           .empty()) {
    return "";
  }
  return input + "." + base64Url(readFile(sig));
}

}  // namespace ssegate::integration
