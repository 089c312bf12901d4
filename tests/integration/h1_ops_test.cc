// Operations (issue 5): the access log (HTTP/1.1 and h2c, tokens redacted), SIGHUP reloads
// under load (1,000 subscribers through 10 reloads; a removed route is drained), the SIGTERM
// drain contract (/readyz 503 at once, listeners closed, jittered retry:, exit 0) and a
// zero-downtime restart through SO_REUSEPORT.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "harness/child_process.h"
#include "harness/free_port.h"
#include "harness/reconnecting_fleet.h"

namespace ssegate::integration {
namespace {

const char* kCurl = "/usr/bin/curl";

std::vector<std::string> accessLines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" [access] ") != std::string::npos) out.push_back(line);
  }
  return out;
}

// The access lines whose target field is exactly `target`.
std::vector<std::string> linesFor(const std::string& log, const std::string& target) {
  std::vector<std::string> out;
  for (const auto& l : accessLines(log)) {
    if (l.find(" target=" + target + " ") != std::string::npos) out.push_back(l);
  }
  return out;
}

bool has(const std::string& line, const std::string& field) {
  return line.find(" " + field + " ") != std::string::npos ||
         line.find(" " + field) + field.size() + 1 == line.size();
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// --- access log ---

TEST_F(GatewayTest, H1_AccessLogOneLinePerStream) {
  ASSERT_NO_FATAL_FAILURE(startGateway());
  auto secret = openStream("/events/al?access_token=SECRET&x=1");
  auto plain = openStream("/events/al", {{"Authorization", "Bearer HEADERSECRET"},
                                         {"Cookie", "ssegate_token=COOKIESECRET"}});
  ASSERT_TRUE(isSseStream(*secret, "none"));
  ASSERT_TRUE(isSseStream(*plain, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/al", 1, Millis(5000)));
  origin_.publish("al", "a-1", "one");
  origin_.publish("al", "a-2", "two");
  ASSERT_TRUE(secret->waitEvents(2)) << secret->describe();
  ASSERT_TRUE(plain->waitEvents(2)) << plain->describe();
  secret->close();
  auto missing = openStream("/nope");
  EXPECT_EQ(missing->status(), 404);
  ASSERT_TRUE(waitUntil([&] { return accessLines(gateway_->log()).size() >= 2; }, Millis(5000)))
      << gateway_->log();
  origin_.publish("al", "a-3", "three");
  ASSERT_TRUE(plain->waitEvents(3)) << plain->describe();
  plain->close();
  ASSERT_TRUE(waitUntil([&] { return accessLines(gateway_->log()).size() >= 3; }, Millis(5000)))
      << gateway_->log();
  // Nothing more comes (exactly one line per stream).
  std::this_thread::sleep_for(Millis(300));
  const std::string log = gateway_->log();
  ASSERT_EQ(accessLines(log).size(), 3u) << log;

  auto s = linesFor(log, "/events/al?access_token=REDACTED&x=1");
  ASSERT_EQ(s.size(), 1u) << log;
  for (const char* f :
       {"ip=127.0.0.1", "user=-", "method=GET", "route=/events/{channel}", "channel=/stream/al",
        "proto=http1", "tls=false", "status=200", "events=2"}) {
    EXPECT_TRUE(has(s[0], f)) << f << " missing in: " << s[0];
  }
  EXPECT_NE(s[0].find("reason=\"peer closed\""), std::string::npos) << s[0];
  EXPECT_NE(s[0].find(" duration_ms="), std::string::npos) << s[0];
  EXPECT_EQ(s[0].find(" bytes=0 "), std::string::npos) << s[0];

  auto p = linesFor(log, "/events/al");
  ASSERT_EQ(p.size(), 1u) << log;
  EXPECT_TRUE(has(p[0], "events=3")) << p[0];
  EXPECT_TRUE(has(p[0], "status=200")) << p[0];

  auto n = linesFor(log, "/nope");
  ASSERT_EQ(n.size(), 1u) << log;
  EXPECT_TRUE(has(n[0], "status=404")) << n[0];
  EXPECT_TRUE(has(n[0], "route=-")) << n[0];
  EXPECT_TRUE(has(n[0], "events=0")) << n[0];

  EXPECT_EQ(log.find("SECRET"), std::string::npos) << "a token reached the log:\n" << log;
}

TEST_F(GatewayTest, H2c_AccessLogOneLinePerStream) {
  if (::access(kCurl, X_OK) != 0)
    GTEST_FAIL() << "curl not installed (deploy/install-deps.sh installs it)";
  GatewayConfig config = defaultConfig();
  config.protocols = "[http1, h2c]";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  const std::string url =
      "http://127.0.0.1:" + std::to_string(port()) + "/events/h2al?access_token=SECRET";
  const std::string out = gateway_->dir().file("curl-h2al.out");
  ChildProcess curl;
  ASSERT_TRUE(curl.spawn({kCurl, "-s", "-N", "--http2-prior-knowledge", url}, out));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/h2al", 1, Millis(5000)));
  origin_.publish("h2al", "h-1", "one");
  origin_.publish("h2al", "h-2", "two");
  ASSERT_TRUE(
      waitUntil([&] { return readFile(out).find("data: two") != std::string::npos; }, Millis(5000)))
      << "curl output: '" << readFile(out) << "'";
  curl.signal(SIGTERM);
  curl.wait(Millis(5000));
  CommandResult missing =
      runCommand({kCurl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                  "http://127.0.0.1:" + std::to_string(port()) + "/nope"},
                 gateway_->dir().file("curl-404.out"), Millis(10000));
  EXPECT_NE(missing.output.find("404"), std::string::npos) << missing.output;
  ASSERT_TRUE(waitUntil([&] { return accessLines(gateway_->log()).size() >= 2; }, Millis(5000)))
      << gateway_->log();
  std::this_thread::sleep_for(Millis(300));
  const std::string log = gateway_->log();
  ASSERT_EQ(accessLines(log).size(), 2u) << log;
  auto s = linesFor(log, "/events/h2al?access_token=REDACTED");
  ASSERT_EQ(s.size(), 1u) << log;
  for (const char* f :
       {"ip=127.0.0.1", "method=GET", "route=/events/{channel}", "channel=/stream/h2al", "proto=h2",
        "tls=false", "status=200", "events=2"}) {
    EXPECT_TRUE(has(s[0], f)) << f << " missing in: " << s[0];
  }
  auto n = linesFor(log, "/nope");
  ASSERT_EQ(n.size(), 1u) << log;
  EXPECT_TRUE(has(n[0], "status=404")) << n[0];
  EXPECT_TRUE(has(n[0], "proto=h2")) << n[0];
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << "a token reached the log:\n" << log;
}

// --- reload ---

TEST_F(GatewayTest, H1_ThousandSubscribersThroughTenReloads) {
  GatewayConfig config = defaultConfig();
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  constexpr size_t kSubscribers = 1000;
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(kSubscribers, "/events/reload", Millis(60000)))
      << fleet.describeFirst([](const SseClient& c) { return !c.headComplete(); });
  ASSERT_EQ(fleet.countWithStatus(200), kSubscribers);
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/reload", 1, Millis(5000)));

  std::vector<std::string> ids;
  int next = 1;
  auto publish = [&](int n) {
    for (int k = 0; k < n; ++k) {
      ids.push_back("r-" + std::to_string(next));
      origin_.publish("reload", ids.back(), "event " + std::to_string(next));
      ++next;
    }
  };
  publish(2);
  for (int round = 1; round <= 10; ++round) {
    // A harmless change, alternating: retry and keepalive_interval.
    config.retry = round % 2 ? "2s" : "1s";
    config.keepalive_interval = round % 2 ? "14s" : "15s";
    gateway_->rewriteConfig(config);
    ASSERT_TRUE(gateway_->signal(SIGHUP));
    publish(1);  // events flow while the reload happens
    ASSERT_TRUE(fleet.pumpUntil(
        [&] {
          return countOf(gateway_->log(), "configuration reloaded") >= static_cast<size_t>(round);
        },
        Millis(10000)))
        << "reload " << round << " not logged";
    publish(2);
    fleet.pumpFor(Millis(50));
  }
  ASSERT_TRUE(fleet.waitAllEvents(ids.size(), Millis(30000)))
      << fleet.describeFirst([&](const SseClient& c) { return c.events().size() < ids.size(); });
  fleet.pumpFor(Millis(200));
  EXPECT_EQ(fleet.countClosed(), 0u)
      << fleet.describeFirst([](const SseClient& c) { return c.closed(); });
  size_t bad = 0;
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (!hasIds(fleet.client(i).events(), ids)) {
      if (++bad <= 3)
        ADD_FAILURE() << "client #" << i << ": " << hasIds(fleet.client(i).events(), ids).message();
    }
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(origin_.acceptedCount("/stream/reload"), 1u) << "a reload reconnected the upstream";
  EXPECT_EQ(countOf(gateway_->log(), "reload rejected"), 0u);
}

TEST_F(GatewayTest, H1_ReloadDrainsStreamsOfARemovedRoute) {
  GatewayConfig config = defaultConfig();
  config.drain_timeout = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(10, "/events/gone", Millis(10000)));
  ASSERT_EQ(fleet.countWithStatus(200), 10u);
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/gone", 1, Millis(5000)));
  origin_.publish("gone", "g-1", "one");
  ASSERT_TRUE(fleet.waitAllEvents(1, Millis(5000)));

  // The route /events/{channel} is replaced by /feeds/{channel}.
  config.route_path = "/feeds/{channel}";
  gateway_->rewriteConfig(config);
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.countClosed() == fleet.size(); }, Millis(5000)))
      << fleet.countClosed() << " of " << fleet.size() << " drained";
  for (size_t i = 0; i < fleet.size(); ++i) {
    const SseClient& c = fleet.client(i);
    EXPECT_EQ(c.closeError(), 0) << c.describe();
    // The stream-open retry: plus the drain's jittered one, in [retry, 2 * retry].
    ASSERT_EQ(c.sse().retries().size(), 2u) << c.describe();
    EXPECT_GE(c.sse().retries()[1], 1000u);
    EXPECT_LE(c.sse().retries()[1], 2000u);
    EXPECT_TRUE(hasIds(c.events(), {"g-1"})) << c.describe();
  }
  // The old path is gone, the new one serves.
  auto old_path = openStream("/events/gone");
  EXPECT_EQ(old_path->status(), 404);
  auto new_path = openStream("/feeds/gone");
  EXPECT_TRUE(isSseStream(*new_path, "none"));
  EXPECT_GE(countOf(gateway_->log(), "reason=\"route removed\""), 10u);
  EXPECT_TRUE(gateway_->running());
}

// --- drain ---

// A SIGHUP (or SIGTERM) sent the moment the port accepts is handled, not fatal: the signal
// handlers exist before the listening sockets do. Scripts wait for the port and then reload.
TEST_F(GatewayTest, H1_SignalRightAfterThePortOpensIsHandled) {
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    GatewayProcess p(SSEGATE_BINARY, defaultConfig());
    ASSERT_TRUE(p.start(Millis(10000), Millis(0))) << p.problems();
    ASSERT_TRUE(p.signal(SIGHUP));
    ASSERT_TRUE(waitUntil([&] { return p.log().find("SIGHUP: reloading") != std::string::npos; },
                          Millis(5000)))
        << p.log();
    EXPECT_TRUE(p.running()) << p.log();
    ChildProcess::Exit exit = p.stop();
    EXPECT_TRUE(exit.exited && exit.code == 0) << exit.describe() << "\n" << p.log();
  }
}

TEST_F(GatewayTest, H1_SigtermReadyz503ListenersClosedJitteredRetry) {
  GatewayConfig config = defaultConfig();
  config.admin_port = freePort();
  config.drain_timeout = "3s";
  config.retry = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  const uint16_t admin_port = gateway_->config().admin_port;
  ASSERT_TRUE(waitUntil([&] { return canConnect(admin_port, 100); }, Millis(5000)));
  EXPECT_EQ(adminGet(admin_port, "/readyz")->status(), 200);
  ClientFleet fleet(port());
  ASSERT_TRUE(fleet.connectAll(30, "/events/rz", Millis(10000)));
  ASSERT_EQ(fleet.countWithStatus(200), 30u);

  const Clock::time_point signalled = Clock::now();
  ASSERT_TRUE(gateway_->signal(SIGTERM));
  // At once (long before the first stream ends): /readyz 503, the listeners closed.
  ASSERT_TRUE(waitUntil([&] { return adminGet(admin_port, "/readyz")->status() == 503; },
                        Millis(1000), Millis(20)))
      << "/readyz not 503 within 1 s of SIGTERM";
  ASSERT_TRUE(waitUntil([&] { return !canConnect(port(), 100); }, Millis(1000), Millis(20)))
      << "the listener still accepts connections after SIGTERM";
  EXPECT_LT(millisSince(signalled).count(), 1500);
  EXPECT_GT(fleet.size() - fleet.countClosed(), 0u) << "every stream ended at once";
  EXPECT_EQ(adminGet(admin_port, "/healthz")->status(), 200) << "healthz must stay 200";

  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.countClosed() == fleet.size(); }, Millis(6000)));
  std::set<uint64_t> retries;
  for (size_t i = 0; i < fleet.size(); ++i) {
    const SseClient& c = fleet.client(i);
    ASSERT_EQ(c.sse().retries().size(), 2u) << c.describe();
    EXPECT_GE(c.sse().retries()[1], 1000u);
    EXPECT_LE(c.sse().retries()[1], 2000u);
    retries.insert(c.sse().retries()[1]);
  }
  EXPECT_GE(retries.size(), 10u) << "the drain's retry: values are not jittered";
  const auto exit = gateway_->waitExit(Millis(6000));
  ASSERT_TRUE(exit.has_value()) << "ssegate still running after the drain";
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->describe();
}

// --- zero-downtime restart ---

// Gateway A serves subscribers; gateway B starts on the same ports (SO_REUSEPORT) and takes new
// connections, so its channels open; SIGTERM to A drains it; its subscribers come back to B
// with Last-Event-ID like an EventSource. Events are published throughout; every subscriber
// ends with every event exactly once, in order, and A exits 0.
TEST_F(GatewayTest, H1_ZeroDowntimeRestartThroughReusePort) {
  GatewayConfig config = defaultConfig();
  config.drain_timeout = "2s";
  config.retry = "300ms";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  constexpr size_t kSubscribers = 100;
  ReconnectingFleet fleet(port(), Millis(300));
  ASSERT_TRUE(fleet.connectAll(kSubscribers, "/events/zd", Millis(20000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/zd", 1, Millis(5000)));

  std::vector<std::string> ids;
  int next = 1;
  auto publish = [&] {
    ids.push_back("z-" + std::to_string(next));
    origin_.publish("zd", ids.back(), "event " + std::to_string(next));
    ++next;
  };
  publish();
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.minEvents() >= 1; }, Millis(5000)));

  // B: the same configuration, same listener port (the admin listener, if any, would also share
  // its port; here there is none).
  auto b = std::make_unique<GatewayProcess>(SSEGATE_BINARY, gateway_->config());
  ASSERT_TRUE(b->start()) << b->problems();
  ASSERT_TRUE(
      waitUntil([&] { return b->log().find("started with") != std::string::npos; }, Millis(10000)))
      << b->log();
  // New connections now go to A or B; once one lands on B, B holds the channel open.
  std::vector<std::unique_ptr<SseClient>> probes;
  ASSERT_TRUE(waitUntil(
      [&] {
        probes.push_back(std::make_unique<SseClient>(port()));
        probes.back()->get("/events/zd");
        probes.back()->waitHead(Millis(2000));
        return origin_.acceptedCount("/stream/zd") >= 2;
      },
      Millis(10000), Millis(1)))
      << "no new connection reached gateway B";
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/zd", 2, Millis(5000)));
  publish();
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.minEvents() >= 2; }, Millis(5000)));

  // SIGTERM A while events keep coming.
  ASSERT_TRUE(gateway_->signal(SIGTERM));
  const Clock::time_point signalled = Clock::now();
  while (millisSince(signalled) < Millis(3500)) {
    publish();
    fleet.pumpFor(Millis(100));
  }
  publish();
  ASSERT_TRUE(fleet.pumpUntil([&] { return fleet.minEvents() >= ids.size(); }, Millis(10000)))
      << "min " << fleet.minEvents() << " of " << ids.size();
  fleet.pumpFor(Millis(200));

  const auto exit = gateway_->waitExit(Millis(5000));
  ASSERT_TRUE(exit.has_value()) << "gateway A still running after its drain";
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->describe();
  EXPECT_EQ(fleet.finished(), 0u);
  size_t bad = 0;
  for (size_t i = 0; i < fleet.size(); ++i) {
    EXPECT_GE(fleet.connections(i), 2u) << fleet.describe(i);
    auto r = hasIds(fleet.events(i), ids);
    if (!r && ++bad <= 3) ADD_FAILURE() << fleet.describe(i) << ": " << r.message();
  }
  EXPECT_EQ(bad, 0u) << "subscribers missed or repeated events across the restart";
  std::cout << "[ observed ] " << fleet.totalReconnects() << " reconnects to gateway B, "
            << ids.size() << " events each" << std::endl;
  probes.clear();
  // A ended by itself; its log must be clean too. TearDown then stops and checks B.
  std::unique_ptr<GatewayProcess> a = std::move(gateway_);
  gateway_ = std::move(b);
  a->stop();
  EXPECT_TRUE(a->problems().empty()) << a->problems() << "\n" << a->log();
}

}  // namespace
}  // namespace ssegate::integration
