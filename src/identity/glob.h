// globMatch: the channel patterns carried in a JWT's channels claim ("news/*", "room-??").
//
// `*` matches any run of bytes (including '/' and the empty run), `?` exactly one byte; every
// other byte matches itself. There is no escape character and no character class: channel names
// are [A-Za-z0-9._~-] (DESIGN A3), so neither is needed. Bytes, not UTF-8 characters.
//
// Iterative with a single backtrack point: O(|pattern| * |text|) in the worst case and linear in
// the common one, never exponential, so a hostile pattern in a token cannot stall a worker.
// Pure function, safe from any thread.
#pragma once

#include <string_view>

namespace ssegate::identity {

bool globMatch(std::string_view pattern, std::string_view text);

}  // namespace ssegate::identity
