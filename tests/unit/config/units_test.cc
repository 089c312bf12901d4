#include "config/units.h"

#include <gtest/gtest.h>

#include <limits>

namespace ssegate::config {
namespace {

using std::chrono::milliseconds;

TEST(UnitsTest, DurationUnits) {
  std::string error;
  EXPECT_EQ(parseDuration("250ms", &error), milliseconds(250));
  EXPECT_EQ(parseDuration("15s", &error), milliseconds(15000));
  EXPECT_EQ(parseDuration("5m", &error), milliseconds(300000));
  EXPECT_EQ(parseDuration("1h", &error), milliseconds(3600000));
  EXPECT_EQ(parseDuration("0s", &error), milliseconds(0));
  EXPECT_EQ(parseDuration("007s", &error), milliseconds(7000));
}

TEST(UnitsTest, DurationNeedsUnit) {
  std::string error;
  EXPECT_FALSE(parseDuration("15", &error));
  EXPECT_EQ(error, "duration \"15\" needs a unit: ms, s, m or h (e.g. \"15s\")");
}

TEST(UnitsTest, DurationRejectsGarbage) {
  for (const char* bad : {"", "s", "abc", "1.5s", "15 s", " 15s", "15S", "15sec", "1h30m", "+5s",
                          "0x10s", "15s ", "1d", "ms"}) {
    std::string error;
    EXPECT_FALSE(parseDuration(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(UnitsTest, DurationRejectsNegative) {
  std::string error;
  EXPECT_FALSE(parseDuration("-5s", &error));
  EXPECT_EQ(error, "duration must not be negative: \"-5s\"");
}

TEST(UnitsTest, DurationOverflow) {
  std::string error;
  // Fits in int64 milliseconds.
  EXPECT_EQ(parseDuration("9223372036854775807ms", &error),
            milliseconds(std::numeric_limits<int64_t>::max()));
  EXPECT_FALSE(parseDuration("9223372036854775808ms", &error));
  EXPECT_EQ(error, "duration out of range: \"9223372036854775808ms\"");
  EXPECT_FALSE(parseDuration("9223372036854776s", &error));
  EXPECT_FALSE(parseDuration("99999999999999999999999h", &error));
  EXPECT_FALSE(parseDuration("2562047788015216h", &error));  // * 3.6e6 overflows int64
}

TEST(UnitsTest, NullErrorPointerIsAllowed) {
  EXPECT_FALSE(parseDuration("x", nullptr));
  EXPECT_FALSE(parseSize("x", nullptr));
  EXPECT_FALSE(parseUnsigned("x", nullptr));
}

TEST(UnitsTest, Sizes) {
  std::string error;
  EXPECT_EQ(parseSize("0", &error), 0u);
  EXPECT_EQ(parseSize("65536", &error), 65536u);
  EXPECT_EQ(parseSize("10B", &error), 10u);
  EXPECT_EQ(parseSize("64KiB", &error), 64u * 1024);
  EXPECT_EQ(parseSize("1MiB", &error), 1024u * 1024);
  EXPECT_EQ(parseSize("1GiB", &error), 1024u * 1024 * 1024);
  EXPECT_EQ(parseSize("2TiB", &error), 2ull << 40);
  EXPECT_EQ(parseSize("16KB", &error), 16000u);
  EXPECT_EQ(parseSize("3MB", &error), 3000000u);
  EXPECT_EQ(parseSize("1GB", &error), 1000000000u);
  EXPECT_EQ(parseSize("18446744073709551615", &error), std::numeric_limits<uint64_t>::max());
}

TEST(UnitsTest, SizeErrors) {
  std::string error;
  EXPECT_FALSE(parseSize("-1", &error));
  EXPECT_EQ(error, "size must not be negative: \"-1\"");
  EXPECT_FALSE(parseSize("12kb", &error));
  EXPECT_EQ(error,
            "invalid size unit in \"12kb\" (expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
  EXPECT_FALSE(parseSize("18446744073709551616", &error));
  EXPECT_EQ(error, "size out of range: \"18446744073709551616\"");
  EXPECT_FALSE(parseSize("17179869184GiB", &error));
  for (const char* bad : {"", "KiB", "1.5MiB", "1 MiB", "abc", "1MiBs"}) {
    EXPECT_FALSE(parseSize(bad, &error)) << bad;
  }
}

TEST(UnitsTest, Unsigned) {
  std::string error;
  EXPECT_EQ(parseUnsigned("0", &error), 0u);
  EXPECT_EQ(parseUnsigned("1000", &error), 1000u);
  EXPECT_FALSE(parseUnsigned("10s", &error));
  EXPECT_EQ(error, "invalid integer \"10s\"");
  EXPECT_FALSE(parseUnsigned("-3", &error));
  EXPECT_EQ(error, "integer must not be negative: \"-3\"");
  EXPECT_FALSE(parseUnsigned("99999999999999999999", &error));
  EXPECT_EQ(error, "integer out of range: \"99999999999999999999\"");
}

TEST(UnitsTest, Format) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0ms");
  EXPECT_EQ(formatDuration(milliseconds(100)), "100ms");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(15000)), "15s");
  EXPECT_EQ(formatDuration(milliseconds(90000)), "90s");
  EXPECT_EQ(formatDuration(milliseconds(300000)), "5m");
  EXPECT_EQ(formatDuration(milliseconds(86400000)), "24h");
  EXPECT_EQ(formatSize(0), "0");
  EXPECT_EQ(formatSize(1536), "1536");
  EXPECT_EQ(formatSize(16384), "16KiB");
  EXPECT_EQ(formatSize(1048576), "1MiB");
  EXPECT_EQ(formatSize(3ull << 30), "3GiB");
  EXPECT_EQ(formatSize(2147483647), "2147483647");
}

TEST(UnitsTest, FormatRoundTrips) {
  for (int64_t ms : {1, 999, 1000, 60000, 61000, 3600000, 7200000}) {
    EXPECT_EQ(parseDuration(formatDuration(milliseconds(ms)), nullptr), milliseconds(ms));
  }
  for (uint64_t bytes : {1ull, 1024ull, 1025ull, 1ull << 20, 5ull << 30}) {
    EXPECT_EQ(parseSize(formatSize(bytes), nullptr), bytes);
  }
}

}  // namespace
}  // namespace ssegate::config
