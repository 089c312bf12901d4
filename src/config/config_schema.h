// The key tables of every configuration section (DESIGN A3) and readConfig(), which reads a YAML
// root map into a Config through them. Per-key syntax and ranges live in the tables; rules that
// relate several keys live in config_checks.h.
//
// Stateless; the tables are immutable namespace-scope constants, safe to use from any thread
// (but not from static initializers of other files).
#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/key_table.h"

namespace ssegate::config::detail {

// Reads `root` (a map) into *out; errors go to r. Keys absent from the file keep the defaults of
// config.h.
void readConfig(Reader& r, const Value& root, Config& out);

// Every key of every table, flattened with dotted paths ("[]" for list items, "*" for names).
// For documentation and for the test that keeps the default column equal to config.h.
std::vector<KeyInfo> describeKeys();

}  // namespace ssegate::config::detail
