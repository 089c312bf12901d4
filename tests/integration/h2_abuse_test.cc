// HTTP/2 abuse (h2_abuse.py under /usr/bin/python3): rapid reset, CONTINUATION flood, SETTINGS
// and PING floods, more streams than allowed, an HPACK bomb. Each is refused or its connection
// closed, while an HTTP/1.1 subscriber and an HTTP/2 subscriber on the same listener keep
// receiving every event.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "gateway_test.h"
#include "harness/child_process.h"

namespace ssegate::integration {
namespace {

TEST_F(GatewayTest, H2_AbuseIsRefusedWhileOthersKeepReceiving) {
  if (::access("/usr/bin/python3", X_OK) != 0 ||
      std::system("/usr/bin/python3 -c 'import hpack' >/dev/null 2>&1") != 0) {
    GTEST_FAIL() << "/usr/bin/python3 with python3-h2 (hpack) not installed "
                    "(deploy/install-deps.sh installs it)";
  }
  GatewayConfig config = defaultConfig();
  config.protocols = "[http1, h2c]";
  config.extra_yaml = "http2: { max_concurrent_streams: 8 }\n";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  auto h1 = openStream("/events/victim");
  ASSERT_TRUE(h1);
  const std::string h2_out = gateway_->dir().file("curl-h2.out");
  ChildProcess h2;
  ASSERT_TRUE(h2.spawn({"/usr/bin/curl", "-N", "-s", "--http2-prior-knowledge", "--max-time", "60",
                        "http://127.0.0.1:" + std::to_string(port()) + "/events/victim"},
                       h2_out));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/victim", 1, Millis(5000)));
  ASSERT_TRUE(waitUntil([&] { return readFile(h2_out).find("retry:") != std::string::npos; },
                        Millis(5000)));
  origin_.publish("victim", "v-1", "before");

  const std::string out = gateway_->dir().file("abuse.out");
  ChildProcess abuse;
  ASSERT_TRUE(abuse.spawn({"/usr/bin/python3", H2_ABUSE_SCRIPT, std::to_string(port()), "8"}, out));
  int published = 1;
  // Events keep flowing during the attacks.
  while (abuse.running() && published < 50) {
    origin_.publish("victim", "v-" + std::to_string(++published), "during");
    std::this_thread::sleep_for(Millis(100));
  }
  auto exit = abuse.wait(Millis(60000));
  if (!exit) abuse.kill();
  ASSERT_TRUE(exit.has_value()) << readFile(out);
  EXPECT_TRUE(exit->exited && exit->code == 0) << readFile(out);
  origin_.publish("victim", "v-" + std::to_string(++published), "after");

  ASSERT_TRUE(h1->waitEvents(static_cast<size_t>(published), Millis(5000)))
      << h1->events().size() << " of " << published;
  EXPECT_TRUE(hasIds(h1->events(), idSequence("v-", 1, published)));
  const std::string last = "id: v-" + std::to_string(published) + "\n";
  EXPECT_TRUE(
      waitUntil([&] { return readFile(h2_out).find(last) != std::string::npos; }, Millis(5000)))
      << readFile(h2_out);
  h2.signal(SIGTERM);
  h2.wait(Millis(5000));
  std::cout << readFile(out);
}

}  // namespace
}  // namespace ssegate::integration
