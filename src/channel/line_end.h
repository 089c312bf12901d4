// findLineEnd: the first CR or LF in a byte range, for the SSE parser and encoder.
//
// std::string_view::find_first_of with a two-character set costs one memchr per byte in
// libstdc++; two memchr passes (LF anywhere, then CR before it) scan each byte at most twice
// with vectorised code, which matters because every upstream byte goes through here.
#pragma once

#include <cstring>
#include <string_view>

namespace ssegate::channel {

inline size_t findLineEnd(std::string_view s, size_t pos) {
  if (pos >= s.size()) return std::string_view::npos;
  const char* begin = s.data() + pos;
  size_t n = s.size() - pos;
  const void* lf = std::memchr(begin, '\n', n);
  size_t limit = lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) : n;
  const void* cr = limit ? std::memchr(begin, '\r', limit) : nullptr;
  if (cr) return pos + static_cast<size_t>(static_cast<const char*>(cr) - begin);
  if (lf) return pos + limit;
  return std::string_view::npos;
}

}  // namespace ssegate::channel
