// Regression: yaml-cpp 0.7's LoadAll() never returns on some malformed inputs (found by
// tests/fuzz/config_fuzz); the loader must answer them with an error, at once.
#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace ssegate::config {
namespace {

TEST(ConfigLoaderHangTest, StrayCommaIsAnErrorNotAHang) {
  for (const char* text : {",\n", ",isteninternal errors: x\n", "a: 1\n---\n,\n"}) {
    LoadResult r = loadConfigString(text, "bad.yaml");
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_FALSE(r.errors.empty()) << text;
  }
}

TEST(ConfigLoaderHangTest, SecondDocumentWithContentIsRefused) {
  LoadResult r = loadConfigString("workers: 1\n---\nworkers: 2\n", "two.yaml");
  ASSERT_FALSE(r.ok());
  bool found = false;
  for (const auto& e : r.errors) {
    if (e.message.find("only one YAML document") != std::string::npos) {
      found = true;
      EXPECT_EQ(e.line, 3);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ssegate::config
