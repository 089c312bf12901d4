#include "identity/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace ssegate::identity {
namespace {

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    const std::string encoded = base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    const auto decoded = base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.has_value()) << i;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(Base64UrlTest, KnownVectors) {
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64UrlDecode("eyJhbGciOiJIUzI1NiJ9"), R"({"alg":"HS256"})");
  EXPECT_EQ(*base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(Base64UrlTest, StrictDecoding) {
  EXPECT_FALSE(base64UrlDecode("Zg==").has_value());  // padding
  EXPECT_FALSE(base64UrlDecode("Zg=").has_value());
  EXPECT_FALSE(base64UrlDecode("+/8").has_value());    // standard alphabet
  EXPECT_FALSE(base64UrlDecode("Zm 9v").has_value());  // whitespace
  EXPECT_FALSE(base64UrlDecode("Zm9v\n").has_value());
  EXPECT_FALSE(base64UrlDecode("Z").has_value());  // 1 mod 4
  EXPECT_FALSE(base64UrlDecode("Zm9vY").has_value());
  EXPECT_FALSE(base64UrlDecode("Zh").has_value());   // non-zero unused bits ("Zg" is canonical)
  EXPECT_FALSE(base64UrlDecode("Zm9").has_value());  // ("Zm8" is canonical)
  EXPECT_FALSE(base64UrlDecode(std::string("Zm\0v", 4)).has_value());
  EXPECT_FALSE(base64UrlDecode("Zm9v\xc3\xa9").has_value());
  EXPECT_TRUE(base64UrlDecode("").has_value());
}

}  // namespace
}  // namespace ssegate::identity
