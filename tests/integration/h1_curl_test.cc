// curl, a real third-party client, sees the events.

#include <signal.h>
#include <unistd.h>

#include <string>

#include "gateway_test.h"
#include "harness/child_process.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H1_CurlShowsEvents) {
  const char* kCurl = "/usr/bin/curl";
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  ASSERT_NO_FATAL_FAILURE(startGateway());
  const std::string out = gateway_->dir().file("curl.out");
  ChildProcess curl;
  ASSERT_TRUE(curl.spawn({kCurl, "-N", "-s", "--max-time", "10",
                          "http://127.0.0.1:" + std::to_string(port()) + "/events/curl"},
                         out));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/curl", 1, Millis(5000)));
  // curl's first bytes (retry + comment) prove its subscription is live.
  ASSERT_TRUE(
      waitUntil([&] { return readFile(out).find("retry:") != std::string::npos; }, Millis(5000)))
      << "curl output: '" << readFile(out) << "'";
  for (int i = 1; i <= 3; ++i) {
    origin_.publish("curl", "k-" + std::to_string(i), "hello from curl " + std::to_string(i));
  }
  const bool all = waitUntil(
      [&] { return readFile(out).find("data: hello from curl 3\n") != std::string::npos; },
      Millis(5000));
  curl.signal(SIGTERM);
  curl.wait(Millis(5000));
  const std::string text = readFile(out);
  ASSERT_TRUE(all) << "curl output: '" << text << "'";
  for (int i = 1; i <= 3; ++i) {
    const std::string event =
        "id: k-" + std::to_string(i) + "\ndata: hello from curl " + std::to_string(i) + "\n\n";
    EXPECT_NE(text.find(event), std::string::npos) << "missing '" << event << "' in: " << text;
  }
  EXPECT_LT(text.find("k-1"), text.find("k-2"));
  EXPECT_LT(text.find("k-2"), text.find("k-3"));
}

}  // namespace
}  // namespace ssegate::integration
