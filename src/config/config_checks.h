// Cross-key validation: the rules that relate several keys of an already-read Config (a route's
// upstream must exist, h2 needs tls, soft_bytes <= hard_bytes, ...) and the defaults that depend
// on other keys (listener protocols, jwt algorithms). Runs after readConfig(); positions come
// from the marks the Reader remembered, so errors still point at the offending key.
//
// The checks tolerate values left empty by earlier errors (they skip them rather than report a
// second, derived error).
#pragma once

#include "config/config.h"
#include "config/key_table.h"

namespace ssegate::config::detail {

void checkConfig(Reader& r, Config& config);

}  // namespace ssegate::config::detail
