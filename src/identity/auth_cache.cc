#include "identity/auth_cache.h"

#include <openssl/evp.h>

namespace ssegate::identity {

namespace {
void hashPart(EVP_MD_CTX* md, std::string_view part) {
  const uint64_t n = part.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  EVP_DigestUpdate(md, len, sizeof(len));
  EVP_DigestUpdate(md, part.data(), part.size());
}
}  // namespace

std::string AuthCache::credentialKey(std::string_view cookie, std::string_view authorization) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(md);
    return {};  // an empty key is never cached (see get/put)
  }
  hashPart(md, cookie);
  hashPart(md, authorization);
  EVP_DigestFinal_ex(md, digest, &digest_len);
  EVP_MD_CTX_free(md);
  return std::string(reinterpret_cast<const char*>(digest), digest_len);
}

std::optional<AuthAnswer> AuthCache::get(const std::string& key, int64_t now_ms) {
  if (key.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (it->second->expires_at_ms <= now_ms) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->answer;
}

void AuthCache::put(const std::string& key, AuthAnswer answer, int64_t expires_at_ms) {
  if (key.empty() || capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->answer = std::move(answer);
    it->second->expires_at_ms = expires_at_ms;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (lru_.size() >= capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{key, std::move(answer), expires_at_ms});
  index_.emplace(key, lru_.begin());
}

size_t AuthCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace ssegate::identity
