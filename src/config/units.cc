#include "config/units.h"

#include <array>
#include <limits>

namespace ssegate::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// Longer suffixes first is not needed: suffixes are matched exactly against the whole tail.
constexpr std::array<Unit, 4> kDurationUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
}};

constexpr uint64_t kKiB = 1024;
constexpr std::array<Unit, 9> kSizeUnits{{
    {"B", 1},
    {"KiB", kKiB},
    {"MiB", kKiB* kKiB},
    {"GiB", kKiB* kKiB* kKiB},
    {"TiB", kKiB* kKiB* kKiB* kKiB},
    {"KB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
    {"TB", uint64_t{1000} * 1000 * 1000 * 1000},
}};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

void setError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

// Splits "123abc" into digits and unit. Returns false when there are no leading digits.
bool splitNumber(std::string_view text, std::string_view* digits, std::string_view* unit) {
  size_t i = 0;
  while (i < text.size() && isDigit(text[i])) ++i;
  if (i == 0) return false;
  *digits = text.substr(0, i);
  *unit = text.substr(i);
  return true;
}

// Decimal digits to uint64 with overflow detection.
bool digitsToU64(std::string_view digits, uint64_t* out) {
  uint64_t value = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (value > (kMax - d) / 10) return false;
    value = value * 10 + d;
  }
  *out = value;
  return true;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

// Common front half: rejects empty text, signs and garbage before the digits.
bool leadingChecks(std::string_view text, std::string_view kind, std::string_view example,
                   std::string* error) {
  if (text.empty()) {
    setError(error, "empty " + std::string(kind) + " (expected e.g. " + std::string(example) + ")");
    return false;
  }
  if (text[0] == '-') {
    setError(error, std::string(kind) + " must not be negative: " + quoted(text));
    return false;
  }
  if (!isDigit(text[0])) {
    setError(error, "invalid " + std::string(kind) + " " + quoted(text) + " (expected e.g. " +
                        std::string(example) + ")");
    return false;
  }
  return true;
}

}  // namespace

std::optional<uint64_t> parseUnsigned(std::string_view text, std::string* error) {
  if (!leadingChecks(text, "integer", "10", error)) return std::nullopt;
  std::string_view digits, unit;
  splitNumber(text, &digits, &unit);
  if (!unit.empty()) {
    setError(error, "invalid integer " + quoted(text));
    return std::nullopt;
  }
  uint64_t value = 0;
  if (!digitsToU64(digits, &value)) {
    setError(error, "integer out of range: " + quoted(text));
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, std::string* error) {
  if (!leadingChecks(text, "duration", "\"250ms\", \"15s\", \"5m\", \"1h\"", error)) {
    return std::nullopt;
  }
  std::string_view digits, unit;
  splitNumber(text, &digits, &unit);
  if (unit.empty()) {
    setError(error, "duration " + quoted(text) + " needs a unit: ms, s, m or h (e.g. \"" +
                        std::string(digits) + "s\")");
    return std::nullopt;
  }
  for (const Unit& u : kDurationUnits) {
    if (u.suffix != unit) continue;
    uint64_t count = 0;
    // The result must fit in the signed 64-bit representation of std::chrono::milliseconds.
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!digitsToU64(digits, &count) || count > kMax / u.factor) {
      setError(error, "duration out of range: " + quoted(text));
      return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<int64_t>(count * u.factor));
  }
  setError(error, "invalid duration unit in " + quoted(text) + " (expected ms, s, m or h)");
  return std::nullopt;
}

std::optional<uint64_t> parseSize(std::string_view text, std::string* error) {
  if (!leadingChecks(text, "size", "65536, \"64KiB\", \"1MiB\"", error)) return std::nullopt;
  std::string_view digits, unit;
  splitNumber(text, &digits, &unit);
  uint64_t factor = 0;
  if (unit.empty()) {
    factor = 1;
  } else {
    for (const Unit& u : kSizeUnits) {
      if (u.suffix == unit) factor = u.factor;
    }
  }
  if (factor == 0) {
    setError(error, "invalid size unit in " + quoted(text) +
                        " (expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
    return std::nullopt;
  }
  uint64_t count = 0;
  if (!digitsToU64(digits, &count) || count > std::numeric_limits<uint64_t>::max() / factor) {
    setError(error, "size out of range: " + quoted(text));
    return std::nullopt;
  }
  return count * factor;
}

std::string formatDuration(std::chrono::milliseconds value) {
  const int64_t ms = value.count();
  if (ms != 0) {
    for (size_t i = kDurationUnits.size(); i-- > 1;) {
      const auto factor = static_cast<int64_t>(kDurationUnits[i].factor);
      if (ms % factor == 0)
        return std::to_string(ms / factor) + std::string(kDurationUnits[i].suffix);
    }
  }
  return std::to_string(ms) + "ms";
}

std::string formatSize(uint64_t bytes) {
  // Binary units only, largest exact one; the index range covers KiB..TiB.
  if (bytes != 0) {
    for (size_t i = 4; i >= 1; --i) {
      if (bytes % kSizeUnits[i].factor == 0) {
        return std::to_string(bytes / kSizeUnits[i].factor) + std::string(kSizeUnits[i].suffix);
      }
    }
  }
  return std::to_string(bytes);
}

}  // namespace ssegate::config
