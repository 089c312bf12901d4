// Parsers for the unit-bearing scalars of the configuration (DESIGN A3): durations such as
// "250ms", "15s", "5m", "1h" and sizes such as 65536, "64KiB", "1MiB", "10MB".
//
// Free functions, pure and thread-safe. They never throw: a failure returns std::nullopt and, when
// `error` is non-null, stores a one-line reason suitable for "FILE:LINE:COLUMN: reason".
// Grammar: an unsigned decimal integer immediately followed by a unit; no sign, no spaces, no
// fractions, no compound values ("1h30m"). Overflow of the result type is an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ssegate::config {

// Duration units: ms, s, m, h. A bare number is rejected: the unit is required.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, std::string* error);

// Size: a bare integer is bytes; units B, KiB, MiB, GiB, TiB (binary) and KB, MB, GB, TB
// (decimal).
std::optional<uint64_t> parseSize(std::string_view text, std::string* error);

// Unsigned decimal integer without sign or unit ("0", "1000"); leading zeros are allowed.
std::optional<uint64_t> parseUnsigned(std::string_view text, std::string* error);

// Shortest exact rendering with the largest unit that divides the value: 90000ms -> "90s",
// 300000ms -> "5m", 1500ms -> "1500ms". Used in error messages ("must be at least 100ms").
std::string formatDuration(std::chrono::milliseconds value);

// 1048576 -> "1MiB", 1536 -> "1536" (bytes), 16384 -> "16KiB".
std::string formatSize(uint64_t bytes);

}  // namespace ssegate::config
