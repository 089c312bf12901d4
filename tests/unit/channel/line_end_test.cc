#include "channel/line_end.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ssegate::channel {
namespace {

constexpr size_t npos = std::string_view::npos;

TEST(LineEndTest, FindsTheFirstOfCrAndLf) {
  EXPECT_EQ(findLineEnd("abc\ndef", 0), 3u);
  EXPECT_EQ(findLineEnd("abc\rdef", 0), 3u);
  EXPECT_EQ(findLineEnd("ab\r\ndef", 0), 2u);  // CRLF: the CR
  EXPECT_EQ(findLineEnd("ab\n\rdef", 0), 2u);  // LF before CR
  EXPECT_EQ(findLineEnd("a\rb\nc", 0), 1u);    // CR well before LF
  EXPECT_EQ(findLineEnd("\n", 0), 0u);
  EXPECT_EQ(findLineEnd("\r", 0), 0u);
}

TEST(LineEndTest, StartsAtPos) {
  EXPECT_EQ(findLineEnd("a\nb\nc", 2), 3u);
  EXPECT_EQ(findLineEnd("a\nb\rc", 2), 3u);
  EXPECT_EQ(findLineEnd("a\nbc", 2), npos);
}

TEST(LineEndTest, NoneOrPastTheEnd) {
  EXPECT_EQ(findLineEnd("", 0), npos);
  EXPECT_EQ(findLineEnd("abc", 0), npos);
  EXPECT_EQ(findLineEnd("abc", 3), npos);
  EXPECT_EQ(findLineEnd("abc\n", 7), npos);
}

TEST(LineEndTest, AgreesWithFindFirstOfOnEveryPosition) {
  const std::string s = std::string("x\r\ny\n\rz") + '\0' + "\r\r\n\nend";
  std::string_view v(s);
  for (size_t pos = 0; pos <= v.size() + 1; ++pos) {
    EXPECT_EQ(findLineEnd(v, pos), v.find_first_of("\r\n", pos)) << "pos " << pos;
  }
}

}  // namespace
}  // namespace ssegate::channel
