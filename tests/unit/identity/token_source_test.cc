#include "identity/token_source.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace ssegate::identity {
namespace {

using config::JwtSource;

// Header lookup over a map with lower-case keys, case-insensitive like the codecs.
HeaderLookup headers(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string_view> {
    std::string key(name);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return std::string_view(it->second);
  };
}

config::Jwt jwtWith(std::vector<JwtSource> sources) {
  config::Jwt jwt;
  jwt.sources = std::move(sources);
  return jwt;
}

TEST(TokenSourceTest, BearerToken) {
  EXPECT_EQ(bearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearerToken("bearer abc"), "abc");
  EXPECT_EQ(bearerToken("BEARER   abc  "), "abc");
  EXPECT_EQ(bearerToken(" Bearer\tabc"), "abc");
  EXPECT_FALSE(bearerToken("Bearer").has_value());
  EXPECT_FALSE(bearerToken("Bearer   ").has_value());
  EXPECT_FALSE(bearerToken("Bearerabc").has_value());
  EXPECT_FALSE(bearerToken("Basic YWxhZGRpbjpvcGVuc2VzYW1l").has_value());
  EXPECT_FALSE(bearerToken("").has_value());
}

TEST(TokenSourceTest, QueryParam) {
  EXPECT_EQ(queryParam("access_token=abc", "access_token"), "abc");
  EXPECT_EQ(queryParam("a=1&access_token=abc&b=2", "access_token"), "abc");
  EXPECT_EQ(queryParam("access_token=first&access_token=second", "access_token"), "first");
  EXPECT_EQ(queryParam("access_token=a%2Eb%2ec", "access_token"), "a.b.c");
  EXPECT_EQ(queryParam("access_token=a+b", "access_token"), "a b");
  EXPECT_EQ(queryParam("%61ccess_token=x", "access_token"), "x");  // names compared decoded
  EXPECT_EQ(queryParam("access_token=", "access_token"), "");
  EXPECT_EQ(queryParam("access_token", "access_token"), "");
  EXPECT_EQ(queryParam("x_access_token=1", "access_token"), std::nullopt);
  EXPECT_EQ(queryParam("access_token=%zz", "access_token"), std::nullopt);
  EXPECT_EQ(queryParam("access_token=%4", "access_token"), std::nullopt);
  EXPECT_EQ(queryParam("", "access_token"), std::nullopt);
  EXPECT_EQ(queryParam("&&", "access_token"), std::nullopt);
}

TEST(TokenSourceTest, PercentDecode) {
  EXPECT_EQ(percentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(percentDecode("%41%62", true), "Ab");
  EXPECT_EQ(percentDecode("%", true), std::nullopt);
  EXPECT_EQ(percentDecode("%1", true), std::nullopt);
  EXPECT_EQ(percentDecode("%g1", true), std::nullopt);
  EXPECT_EQ(percentDecode("", true), "");
}

TEST(TokenSourceTest, QueryOf) {
  EXPECT_EQ(queryOf("/events/x?a=1&b=2"), "a=1&b=2");
  EXPECT_EQ(queryOf("/events/x?a=1#frag"), "a=1");
  EXPECT_EQ(queryOf("/events/x"), "");
  EXPECT_EQ(queryOf("/events/x?"), "");
}

TEST(TokenSourceTest, CookieValue) {
  EXPECT_EQ(cookieValue("ssegate_token=abc", "ssegate_token"), "abc");
  EXPECT_EQ(cookieValue("a=b; ssegate_token=abc; c=d", "ssegate_token"), "abc");
  EXPECT_EQ(cookieValue("a=b;ssegate_token=abc", "ssegate_token"), "abc");
  EXPECT_EQ(cookieValue("ssegate_token=\"abc\"", "ssegate_token"), "abc");
  EXPECT_EQ(cookieValue("ssegate_token=a=b", "ssegate_token"), "a=b");
  EXPECT_EQ(cookieValue("ssegate_token=one; ssegate_token=two", "ssegate_token"), "one");
  EXPECT_EQ(cookieValue("x_ssegate_token=abc", "ssegate_token"), std::nullopt);
  EXPECT_EQ(cookieValue("SSEGATE_TOKEN=abc", "ssegate_token"), std::nullopt);  // case-sensitive
  EXPECT_EQ(cookieValue("ssegate_token", "ssegate_token"), std::nullopt);
  EXPECT_EQ(cookieValue("", "ssegate_token"), std::nullopt);
}

TEST(TokenSourceTest, DefaultOrderIsHeaderQueryCookie) {
  const config::Jwt jwt;  // [header, query, cookie], access_token, ssegate_token
  const HeaderLookup all =
      headers({{"authorization", "Bearer from-header"}, {"cookie", "ssegate_token=from-cookie"}});
  auto t = extractToken(jwt, all, "access_token=from-query");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "from-header");
  EXPECT_EQ(t->source, JwtSource::kHeader);

  t = extractToken(jwt, headers({{"cookie", "ssegate_token=from-cookie"}}),
                   "access_token=from-query");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "from-query");
  EXPECT_EQ(t->source, JwtSource::kQuery);

  t = extractToken(jwt, headers({{"cookie", "ssegate_token=from-cookie"}}), "other=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "from-cookie");
  EXPECT_EQ(t->source, JwtSource::kCookie);

  EXPECT_FALSE(extractToken(jwt, headers({}), "").has_value());
  EXPECT_FALSE(extractToken(jwt, nullptr, "").has_value());
}

TEST(TokenSourceTest, ConfiguredOrderAndNames) {
  config::Jwt jwt = jwtWith({JwtSource::kCookie, JwtSource::kHeader});
  jwt.cookie = "sess";
  jwt.query_param = "t";
  const HeaderLookup all =
      headers({{"authorization", "Bearer from-header"}, {"cookie", "a=1; sess=from-cookie"}});
  auto t = extractToken(jwt, all, "t=from-query");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "from-cookie");
  EXPECT_EQ(t->source, JwtSource::kCookie);

  // A source not listed is never read.
  t = extractToken(jwt, headers({}), "t=from-query");
  EXPECT_FALSE(t.has_value());
  jwt.sources = {JwtSource::kQuery};
  t = extractToken(jwt, all, "t=from-query");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "from-query");
}

TEST(TokenSourceTest, UnusableSourcesAreSkipped) {
  const config::Jwt jwt;
  // Basic auth and an empty bearer are not tokens: the next source is tried.
  auto t = extractToken(jwt, headers({{"authorization", "Basic YTpi"}}), "access_token=q");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->source, JwtSource::kQuery);
  t = extractToken(jwt, headers({{"authorization", "Bearer "}, {"cookie", "ssegate_token=c"}}),
                   "access_token=");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "c");
  EXPECT_EQ(t->source, JwtSource::kCookie);
  // Query values are percent-decoded.
  t = extractToken(jwt, headers({}), "access_token=a%2Eb.c");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "a.b.c");
}

TEST(TokenSourceTest, RedactQuery) {
  EXPECT_EQ(redactQuery("/events/x?access_token=abc.def.ghi&b=1", "access_token"),
            "/events/x?access_token=REDACTED&b=1");
  EXPECT_EQ(redactQuery("/events/x?b=1&access_token=abc", "access_token"),
            "/events/x?b=1&access_token=REDACTED");
  EXPECT_EQ(redactQuery("/e?access_token=a&access_token=b", "access_token"),
            "/e?access_token=REDACTED&access_token=REDACTED");
  EXPECT_EQ(redactQuery("/e?%61ccess_token=a&x=access_token", "access_token"),
            "/e?%61ccess_token=REDACTED&x=access_token");
  EXPECT_EQ(redactQuery("/e?access_token=a#frag", "access_token"), "/e?access_token=REDACTED#frag");
  EXPECT_EQ(redactQuery("/e?my_access_token=a", "access_token"), "/e?my_access_token=a");
  EXPECT_EQ(redactQuery("/e?access_token=&access_token", "access_token"),
            "/e?access_token=&access_token");
  EXPECT_EQ(redactQuery("/e?access_token=a=b&c", "access_token"), "/e?access_token=REDACTED&c");
  EXPECT_EQ(redactQuery("/e", "access_token"), "/e");
  EXPECT_EQ(redactQuery("/e?", "access_token"), "/e?");
  EXPECT_EQ(redactQuery("/e?a=1", ""), "/e?a=1");
  EXPECT_EQ(redactQuery("", "access_token"), "");
}

TEST(TokenSourceTest, RedactionCoversWhatExtractionReads) {
  // Whatever spelling extractToken accepts, redactQuery hides.
  const config::Jwt jwt;
  for (const std::string query : {"access_token=s3cret", "%61ccess_token=s3cret",
                                  "access%5Ftoken=s3cret", "x=1&access_token=s3cret"}) {
    const auto t = extractToken(jwt, nullptr, query);
    ASSERT_TRUE(t.has_value()) << query;
    EXPECT_EQ(t->token, "s3cret");
    EXPECT_EQ(redactQuery("/e?" + query, jwt.query_param).find("s3cret"), std::string::npos)
        << query;
  }
}

}  // namespace
}  // namespace ssegate::identity
