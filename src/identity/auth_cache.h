// AuthCache: the answers of identity.auth_request, remembered per credential for cache_ttl
// (DESIGN A3), so a reconnecting subscriber does not cost the app a subrequest each time.
//
// The key is credentialKey(): SHA-256 over the Cookie and Authorization values, so the cache
// holds no credential bytes and two credentials share an entry only if their hash collides.
// Only definitive answers are cached (2xx with the identity, 401, 403), never a timeout or an
// error. Bounded: at most `capacity` entries; the least recently used goes first. Expired
// entries are dropped when met.
//
// Thread-safe (one mutex; each call is O(1)): one instance per configuration generation is shared
// by every worker, so a subscriber that reconnects to another worker still hits it. Owned by the
// DownstreamContext. The caller passes the time (monotonic milliseconds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ssegate::identity {

struct AuthAnswer {
  int status = 0;                // the app's status: 2xx, 401 or 403
  std::string user;              // user_header of a 2xx answer
  std::string www_authenticate;  // of a 401 answer, relayed (may be empty)
};

class AuthCache {
 public:
  static constexpr size_t kDefaultCapacity = 10000;

  explicit AuthCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  AuthCache(const AuthCache&) = delete;
  AuthCache& operator=(const AuthCache&) = delete;

  // 32 raw bytes: SHA-256 of the two values with their lengths, so ("ab", "c") and ("a", "bc")
  // differ. An absent header is passed as "".
  static std::string credentialKey(std::string_view cookie, std::string_view authorization);

  // The answer cached for `key` if it has not expired at `now_ms`.
  std::optional<AuthAnswer> get(const std::string& key, int64_t now_ms);
  // Remembers `answer` until `expires_at_ms` (replacing an older entry for the key).
  void put(const std::string& key, AuthAnswer answer, int64_t expires_at_ms);
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    AuthAnswer answer;
    int64_t expires_at_ms;
  };
  using Lru = std::list<Entry>;  // most recently used first

  const size_t capacity_;
  mutable std::mutex mu_;
  Lru lru_;                                               // guarded by mu_
  std::unordered_map<std::string, Lru::iterator> index_;  // guarded by mu_
};

}  // namespace ssegate::identity
