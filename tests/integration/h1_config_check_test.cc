// `ssegate -t`: "configuration OK" and exit 0, or FILE:LINE:COLUMN: message lines and exit 1.

#include <regex>
#include <string>

#include "gateway_test.h"
#include "harness/child_process.h"
#include "harness/free_port.h"
#include "harness/temp_dir.h"

namespace ssegate::integration {
namespace {

TEST(ConfigCheck, H1_ConfigCheck) {
  TempDir dir;
  GatewayConfig good;
  good.port = freePort();
  good.origin_port = freePort();
  const std::string good_path = dir.write("good.yaml", good.toYaml());
  const CommandResult ok =
      runCommand({SSEGATE_BINARY, "-t", "-c", good_path}, dir.file("good.out"), Millis(20000));
  EXPECT_FALSE(ok.timed_out);
  EXPECT_TRUE(ok.exit.exited && ok.exit.code == 0) << ok.exit.describe() << "\n" << ok.output;
  EXPECT_NE(ok.output.find("configuration OK"), std::string::npos) << ok.output;

  // Line 5: an unknown key. Line 9: a duration without a unit. Line 13: a wrong type.
  const std::string bad_yaml =
      "workers: 2\n"                             // 1
      "listeners:\n"                             // 2
      "  - address: 127.0.0.1:8080\n"            // 3
      "    protocols: [http1]\n"                 // 4
      "    bogus_key: 1\n"                       // 5
      "upstreams:\n"                             // 6
      "  origin:\n"                              // 7
      "    url: http://127.0.0.1:9000\n"         // 8
      "    connect_timeout: soon\n"              // 9
      "routes:\n"                                // 10
      "  - path: /events/{channel}\n"            // 11
      "    upstream: origin\n"                   // 12
      "    retry: [1, 2]\n"                      // 13
      "    upstream_path: /stream/{channel}\n";  // 14
  const std::string bad_path = dir.write("bad.yaml", bad_yaml);
  const CommandResult bad =
      runCommand({SSEGATE_BINARY, "-t", "-c", bad_path}, dir.file("bad.out"), Millis(20000));
  EXPECT_FALSE(bad.timed_out);
  EXPECT_TRUE(bad.exit.exited && bad.exit.code == 1) << bad.exit.describe() << "\n" << bad.output;
  EXPECT_EQ(bad.output.find("configuration OK"), std::string::npos) << bad.output;
  for (int line : {5, 9, 13}) {
    const std::regex located(".*bad\\.yaml:" + std::to_string(line) + ":[0-9]+: .+");
    bool found = false;
    size_t start = 0;
    while (start < bad.output.size() && !found) {
      size_t end = bad.output.find('\n', start);
      if (end == std::string::npos) end = bad.output.size();
      found = std::regex_match(bad.output.substr(start, end - start), located);
      start = end + 1;
    }
    EXPECT_TRUE(found) << "no 'bad.yaml:" << line << ":COL: message' line in:\n" << bad.output;
  }
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    EXPECT_EQ(ok.output.find(marker), std::string::npos) << ok.output;
    EXPECT_EQ(bad.output.find(marker), std::string::npos) << bad.output;
  }
}

}  // namespace
}  // namespace ssegate::integration

namespace ssegate::integration {
namespace {

TEST(ConfigCheck, H1_VersionAndBadConfigAtStart) {
  TempDir dir;
  const CommandResult version =
      runCommand({SSEGATE_BINARY, "--version"}, dir.file("version.out"), Millis(20000));
  EXPECT_TRUE(version.exit.exited && version.exit.code == 0) << version.exit.describe();
  EXPECT_NE(version.output.find_first_of("0123456789"), std::string::npos) << version.output;

  // Starting (not -t) with an invalid file fails fast with a located message.
  const std::string bad_path = dir.write("start.yaml", "workers: 2\nnot_a_key: 1\n");
  const CommandResult start =
      runCommand({SSEGATE_BINARY, "-c", bad_path}, dir.file("start.out"), Millis(20000));
  EXPECT_FALSE(start.timed_out) << "ssegate started with an invalid configuration";
  EXPECT_TRUE(start.exit.exited && start.exit.code != 0) << start.exit.describe();
  EXPECT_NE(start.output.find("start.yaml:2:"), std::string::npos) << start.output;
}

}  // namespace
}  // namespace ssegate::integration
