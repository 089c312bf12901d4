// nghttp (nghttp2-client) multiplexes 100 SSE streams on one HTTP/2 connection; every stream
// receives every event.

#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gateway_test.h"
#include "harness/child_process.h"

namespace ssegate::integration {
namespace {

const char* kNghttp = "/usr/bin/nghttp";

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(GatewayTest, H2_Nghttp100StreamsOnOneConnectionAllReceiveEveryEvent) {
  if (::access(kNghttp, X_OK) != 0)
    GTEST_FAIL() << "nghttp not installed (deploy/install-deps.sh installs it)";
  GatewayConfig config = defaultConfig();
  config.protocols = "[h2c]";
  config.extra_yaml = "http2: { max_concurrent_streams: 128, initial_window_size: 1MiB }\n";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  constexpr int kStreams = 100;
  // stdbuf: nghttp's stdout is a file here, which stdio would buffer until exit.
  std::vector<std::string> argv = {"/usr/bin/stdbuf", "-o0", kNghttp, "--no-dep"};
  // Distinct targets (nghttp requests each URI once); all on channel "many".
  for (int i = 0; i < kStreams; ++i) {
    argv.push_back("http://127.0.0.1:" + std::to_string(port()) +
                   "/events/many?s=" + std::to_string(i));
  }
  const std::string out = gateway_->dir().file("nghttp.out");
  ChildProcess nghttp;
  ASSERT_TRUE(nghttp.spawn(argv, out));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/many", 1, Millis(5000)));
  // Every stream has started when every "retry:" line has arrived.
  ASSERT_TRUE(
      waitUntil([&] { return countOf(readFile(out), "retry:") == kStreams; }, Millis(10000)))
      << countOf(readFile(out), "retry:") << " streams started";
  // One upstream stream for the 100 subscribers.
  EXPECT_EQ(origin_.acceptedCount("/stream/many"), 1u);
  constexpr int kEvents = 5;
  for (int i = 1; i <= kEvents; ++i) {
    origin_.publish("many", "m-" + std::to_string(i), "event " + std::to_string(i));
  }
  const bool all = waitUntil(
      [&] { return countOf(readFile(out), "id: m-" + std::to_string(kEvents) + "\n") == kStreams; },
      Millis(10000));
  nghttp.signal(SIGTERM);
  nghttp.wait(Millis(5000));
  const std::string text = readFile(out);
  ASSERT_TRUE(all) << countOf(text, "id: m-5\n") << " streams saw the last event";
  for (int i = 1; i <= kEvents; ++i) {
    const std::string event =
        "id: m-" + std::to_string(i) + "\ndata: event " + std::to_string(i) + "\n\n";
    EXPECT_EQ(countOf(text, event), static_cast<size_t>(kStreams)) << event;
  }
}

}  // namespace
}  // namespace ssegate::integration
