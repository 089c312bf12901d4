// base64url (RFC 4648 section 5) as JWS compact serialization uses it (RFC 7515 section 2).
//
// Decoding is strict, because the encoded text is what a signature covers and a lenient decoder
// lets several spellings mean one value: alphabet [A-Za-z0-9_-] only, no '=' padding, no
// whitespace, a length that is not 1 mod 4, and zero unused bits in the last character.
// Pure functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ssegate::identity {

// nullopt when `in` is not canonical unpadded base64url.
std::optional<std::string> base64UrlDecode(std::string_view in);

// Unpadded base64url; base64UrlDecode(base64UrlEncode(x)) == x.
std::string base64UrlEncode(std::string_view in);

}  // namespace ssegate::identity
