#include "identity/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace ssegate::identity {
namespace {

TEST(GlobTest, Literals) {
  EXPECT_TRUE(globMatch("news", "news"));
  EXPECT_FALSE(globMatch("news", "new"));
  EXPECT_FALSE(globMatch("news", "newsy"));
  EXPECT_FALSE(globMatch("News", "news"));
  EXPECT_TRUE(globMatch("", ""));
  EXPECT_FALSE(globMatch("", "a"));
  EXPECT_FALSE(globMatch("a", ""));
}

TEST(GlobTest, Star) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything/at/all"));
  EXPECT_TRUE(globMatch("news-*", "news-"));
  EXPECT_TRUE(globMatch("news-*", "news-sport"));
  EXPECT_FALSE(globMatch("news-*", "news"));
  EXPECT_TRUE(globMatch("*-eu", "prices-eu"));
  EXPECT_FALSE(globMatch("*-eu", "prices-eu-2"));
  EXPECT_TRUE(globMatch("a*b*c", "abc"));
  EXPECT_TRUE(globMatch("a*b*c", "aXXbYYbZZc"));
  EXPECT_FALSE(globMatch("a*b*c", "aXXbYYbZZ"));
  EXPECT_TRUE(globMatch("user/*", "user/1/inbox"));  // '*' crosses '/'
  EXPECT_TRUE(globMatch("**", "x"));
  EXPECT_TRUE(globMatch("a**", "a"));
  EXPECT_TRUE(globMatch("*a", "aaaa"));
  EXPECT_TRUE(globMatch("*aab", "aaaab"));
  EXPECT_FALSE(globMatch("*aab", "aaaaba"));
}

TEST(GlobTest, QuestionMark) {
  EXPECT_TRUE(globMatch("room-??", "room-42"));
  EXPECT_FALSE(globMatch("room-??", "room-4"));
  EXPECT_FALSE(globMatch("room-??", "room-420"));
  EXPECT_TRUE(globMatch("?", "/"));
  EXPECT_FALSE(globMatch("?", ""));
  EXPECT_TRUE(globMatch("*?", "a"));
  EXPECT_FALSE(globMatch("*?", ""));
  EXPECT_TRUE(globMatch("?*?", "ab"));
}

TEST(GlobTest, NoExponentialBacktracking) {
  // The classic blow-up for recursive matchers: a*a*a*...b against aaaa...a.
  std::string pattern;
  for (int i = 0; i < 100; ++i) pattern += "a*";
  pattern += "b";
  const std::string text(4000, 'a');
  EXPECT_FALSE(globMatch(pattern, text));
  EXPECT_TRUE(globMatch(pattern, text + "b"));
}

}  // namespace
}  // namespace ssegate::identity
