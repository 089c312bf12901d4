#include "identity/auth_cache.h"

#include <gtest/gtest.h>

namespace ssegate::identity {
namespace {

TEST(AuthCache, KeyIsAHashOfBothCredentials) {
  const std::string k = AuthCache::credentialKey("sid=1", "Bearer x");
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k, AuthCache::credentialKey("sid=1", "Bearer x"));
  EXPECT_NE(k, AuthCache::credentialKey("sid=1", "Bearer y"));
  EXPECT_NE(AuthCache::credentialKey("ab", "c"), AuthCache::credentialKey("a", "bc"));
  EXPECT_EQ(k.find("sid=1"), std::string::npos);
}

TEST(AuthCache, HitUntilExpiry) {
  AuthCache cache;
  const std::string k = AuthCache::credentialKey("sid=1", "");
  EXPECT_FALSE(cache.get(k, 0));
  cache.put(k, AuthAnswer{200, "alice", ""}, 1000);
  auto hit = cache.get(k, 999);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->status, 200);
  EXPECT_EQ(hit->user, "alice");
  EXPECT_FALSE(cache.get(k, 1000));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AuthCache, BoundedLeastRecentlyUsedGoesFirst) {
  AuthCache cache(2);
  cache.put("a", AuthAnswer{200, "a", ""}, 100);
  cache.put("b", AuthAnswer{200, "b", ""}, 100);
  EXPECT_TRUE(cache.get("a", 0));  // a is now the most recent
  cache.put("c", AuthAnswer{401, "", "Bearer"}, 100);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.get("a", 0));
  EXPECT_FALSE(cache.get("b", 0));
  EXPECT_EQ(cache.get("c", 0)->status, 401);
}

TEST(AuthCache, PutReplaces) {
  AuthCache cache(4);
  cache.put("a", AuthAnswer{200, "old", ""}, 100);
  cache.put("a", AuthAnswer{403, "", ""}, 200);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.get("a", 150)->status, 403);
}

TEST(AuthCache, ZeroCapacityCachesNothing) {
  AuthCache cache(0);
  cache.put("a", AuthAnswer{200, "a", ""}, 100);
  EXPECT_FALSE(cache.get("a", 0));
}

}  // namespace
}  // namespace ssegate::identity
