// README.md's configuration reference must list exactly the keys of the loader's key table, with
// the same defaults, so the user guide cannot drift from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config/config_schema.h"

namespace ssegate::config {
namespace {

std::string readmePath() {
  std::string here = __FILE__;  // .../tests/unit/config/readme_keys_test.cc
  return here.substr(0, here.rfind("/tests/")) + "/README.md";
}

// Rows "| `key` | type | default | meaning |" of the README's reference table.
std::map<std::string, std::string> readmeKeys() {
  std::ifstream in(readmePath());
  std::map<std::string, std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    size_t end = line.find('`', 3);
    if (end == std::string::npos) continue;
    std::string key = line.substr(3, end - 3);
    // The third cell is the default.
    size_t c1 = line.find('|', end);
    size_t c2 = line.find('|', c1 + 1);
    size_t c3 = line.find('|', c2 + 1);
    if (c3 == std::string::npos) continue;
    std::string dflt = line.substr(c2 + 1, c3 - c2 - 1);
    while (!dflt.empty() && dflt.front() == ' ') dflt.erase(0, 1);
    while (!dflt.empty() && dflt.back() == ' ') dflt.pop_back();
    keys[key] = dflt;
  }
  return keys;
}

TEST(ReadmeKeysTest, ReferenceTableMatchesTheKeyTable) {
  auto documented = readmeKeys();
  ASSERT_GT(documented.size(), 20u) << "no configuration table found in " << readmePath();
  for (const auto& k : detail::describeKeys()) {
    auto it = documented.find(k.path);
    ASSERT_NE(it, documented.end()) << "README.md does not document key " << k.path;
    std::string want = k.required ? "required" : std::string(k.default_text);
    EXPECT_EQ(it->second, want) << "default of " << k.path;
    documented.erase(it);
  }
  for (const auto& [key, dflt] : documented) {
    ADD_FAILURE() << "README.md documents " << key << ", which the loader does not accept";
  }
}

}  // namespace
}  // namespace ssegate::config
