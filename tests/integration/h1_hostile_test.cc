// Hostile clients (issue 7, point 2), HTTP/1.1: the request-smuggling set, oversized request
// parts, slowloris, slow readers, a connection flood and subscribers that stop reading during a
// burst. Each hostile client gets the documented status or a close, while the healthy
// subscribers of a channel get every event of a burst in order, with a p99 latency (publish to
// the kernel's receive time at the test client, see BurstDriver) within 20% (+ a small absolute
// slack for a 2-core machine) of clean runs with the same parameters just before and after it.
// A trial over that budget is repeated (expectUndisturbed() says why); loss never is.
//
// Structure for HTTP/2 variants: each test is a trial, "hostile action during a burst" + "what
// the hostile clients must have seen". expectUndisturbed() and BurstDriver are
// protocol-independent; an h2 test supplies its own hostile clients (and healthy h2 streams) and
// the same checks.

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "harness/burst_driver.h"
#include "harness/sse_wire_check.h"

namespace ssegate::integration {
namespace {

using namespace std::chrono_literals;

constexpr char kHost[] = "Host: 127.0.0.1\r\n";
// The absolute slack on top of +20%: scheduling noise of a 2-core machine shared by the
// gateway (Debug + ASan), the origin and the clients.
constexpr double kLatencySlackMs = 10.0;
constexpr size_t kHealthy = 20;
constexpr int kTrials = 3;  // see HostileTest::expectUndisturbed()

class HostileTest : public GatewayTest {
 protected:
  GatewayConfig hostileConfig() const {
    GatewayConfig config = defaultConfig();
    config.request_header_timeout = "1s";
    config.max_request_header_bytes = "16KiB";
    config.soft_bytes = "16KiB";
    config.soft_timeout = "500ms";
    config.hard_bytes = "64KiB";
    config.linger = "5s";
    return config;
  }

  BurstSpec spec(const std::string& channel) const {
    BurstSpec s;
    s.channel = channel;
    s.events = 400;
    s.rate_per_s = 200;
    s.data_bytes = 1024;
    return s;
  }

  // `n` subscribers of `channel`, heads received, upstream open; owned by `fleet`.
  std::vector<SseClient*> subscribe(ClientFleet& fleet, const std::string& channel, size_t n) {
    std::vector<SseClient*> clients;
    const size_t first = fleet.size();
    EXPECT_TRUE(fleet.connectAll(n, "/events/" + channel, Millis(10000)));
    for (size_t i = first; i < fleet.size(); ++i) {
      EXPECT_TRUE(isSseStream(fleet.client(i), "none")) << "subscriber #" << i;
      clients.push_back(&fleet.client(i));
    }
    EXPECT_TRUE(origin_.waitOpenStreams("/stream/" + channel, 1, Millis(5000)));
    return clients;
  }

  // A clean burst with `healthy` subscribers on "<name>-clean", after a warm-up burst on
  // "<name>-warm": the latency baseline of this test. The fleets are closed on return.
  BurstResult cleanRun(const std::string& name, size_t healthy = kHealthy) {
    {
      ClientFleet warm_fleet(port(), lean());
      BurstDriver warm(origin_, subscribe(warm_fleet, name + "-warm", healthy));
      BurstSpec s = spec(name + "-warm");
      s.events = 100;
      const BurstResult warmup = warm.run(s);
      EXPECT_TRUE(warmup.problem.empty()) << "warm-up: " << warmup.summary();
    }
    ClientFleet fleet(port(), lean());
    BurstDriver driver(origin_, subscribe(fleet, name + "-clean", healthy));
    const BurstResult result = driver.run(spec(name + "-clean"));
    std::cout << "[ observed ] " << name << " clean run:   " << result.summary() << std::endl;
    EXPECT_TRUE(result.problem.empty()) << "clean run: " << result.summary();
    return result;
  }

  static SseClient::Options lean() {
    SseClient::Options o;
    o.max_body_bytes = 64 * 1024;
    o.max_event_data = 64;
    return o;
  }

  // A hostile run: given a fresh channel, it subscribes the healthy clients there, runs the
  // burst with its hostile clients, checks what those got, and returns the healthy clients'
  // result.
  using Trial = std::function<BurstResult(const std::string& channel)>;

  // Runs `trial` and compares its healthy p99 with clean runs just before and just after it (so
  // that load from outside the test, on a shared machine, shows in the baseline too): at most
  // max(before, after) * 1.2 + kLatencySlackMs. A trial over that budget is run again on a new
  // channel, up to kTrials in all, and the test fails only if every trial is over. Why: this VM
  // stalls for 10-40 ms a few times a minute even with a Release gateway and no hostile client
  // (measured with kernel receive times), which moves a 2 s burst's p99 by as much; a
  // disturbance the hostile clients cause comes back in every trial. A lost, reordered or
  // duplicated event, or a closed healthy subscriber, fails at once.
  void expectUndisturbed(const std::string& name, const Trial& trial, size_t healthy = kHealthy) {
    BurstResult before = cleanRun(name, healthy);
    std::string over;
    for (int k = 1; k <= kTrials; ++k) {
      const std::string suffix = k == 1 ? "" : "-" + std::to_string(k);
      const BurstResult hostile = trial(name + "-hostile" + suffix);
      std::cout << "[ observed ] " << name << " hostile run " << k << ": " << hostile.summary()
                << std::endl;
      if (!hostile.problem.empty()) {
        ADD_FAILURE() << "hostile run: " << hostile.summary();
        return;
      }
      const BurstResult after = cleanRun(name + "-after" + suffix, healthy);
      const double budget = std::max(before.p99_ms, after.p99_ms) * 1.2 + kLatencySlackMs;
      if (hostile.p99_ms <= budget) return;
      over += "  trial " + std::to_string(k) + ": p99 " + std::to_string(hostile.p99_ms) +
              " ms > budget " + std::to_string(budget) + " ms (clean p99 before " +
              std::to_string(before.p99_ms) + " ms, after " + std::to_string(after.p99_ms) +
              " ms)\n";
      before = after;
    }
    ADD_FAILURE() << "the healthy subscribers' p99 was over budget (max(clean) * 1.2 + "
                  << kLatencySlackMs << " ms) in all " << kTrials << " trials:\n"
                  << over;
  }
};

// One raw request and what it must get.
struct RawCase {
  std::string name;
  std::string bytes;
  bool may_stream = false;  // 200 then a close is acceptable (a pipelined request)
  int status = 400;
};

std::vector<RawCase> smugglingCases() {
  const std::string host = kHost;
  // The request a smuggling attempt hides in a body; the origin must never see /stream/smuggled.
  const std::string hidden = "GET /events/smuggled HTTP/1.1\r\n" + host + "\r\n";
  const std::string n = std::to_string(hidden.size());
  return {
      {"Content-Length with Transfer-Encoding",
       "GET /events/s1 HTTP/1.1\r\n" + host + "Content-Length: " + n +
           "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden},
      {"Transfer-Encoding with Content-Length",
       "GET /events/s2 HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: " + n +
           "\r\n\r\n0\r\n\r\n" + hidden},
      {"duplicate Content-Length, different values",
       "GET /events/s3 HTTP/1.1\r\n" + host + "Content-Length: 0\r\nContent-Length: " + n +
           "\r\n\r\n" + hidden},
      {"duplicate Content-Length, same value",
       "GET /events/s4 HTTP/1.1\r\n" + host + "Content-Length: " + n + "\r\nContent-Length: " + n +
           "\r\n\r\n" + hidden},
      {"Content-Length list",
       "GET /events/s5 HTTP/1.1\r\n" + host + "Content-Length: 0, " + n + "\r\n\r\n" + hidden},
      {"bare CR inside a header value",
       "GET /events/s6 HTTP/1.1\r\n" + host + "X-A: a\rContent-Length: " + n + "\r\n\r\n" + hidden},
      {"bare CR ending the request line", "GET /events/s7 HTTP/1.1\r" + host + "\r\n"},
      {"obs-fold", "GET /events/s8 HTTP/1.1\r\n" + host + "X-Folded: a\r\n Content-Length: " + n +
                       "\r\n\r\n" + hidden},
      {"space before the colon", "GET /events/s9 HTTP/1.1\r\n" + host +
                                     "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + hidden},
      {"space before the colon of Host", "GET /events/s10 HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n"},
      {"invalid chunk size",
       "GET /events/s11 HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + hidden},
      {"chunked not last", "GET /events/s12 HTTP/1.1\r\n" + host +
                               "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + hidden},
      {"obfuscated Transfer-Encoding",
       "GET /events/s13 HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n" + hidden},
      {"NUL in a header value",
       "GET /events/s14 HTTP/1.1\r\n" + host + std::string("X-N: a\0b\r\n\r\n", 11)},
      {"a request pipelined after an SSE GET",
       "GET /events/s15 HTTP/1.1\r\n" + host + "\r\n" + hidden, /*may_stream=*/true},
  };
}

// What a raw hostile client must have seen: the expected status with a one-line body and a
// close (or, where allowed, the stream's 200 and then a close).
::testing::AssertionResult answeredAsExpected(const RawCase& rc, const SseClient& c) {
  if (rc.may_stream && c.headComplete() && c.status() == 200) {
    if (!c.closed()) {
      return ::testing::AssertionFailure() << rc.name << ": 200 and left open: " << c.describe();
    }
    return ::testing::AssertionSuccess();
  }
  auto r = isErrorResponse(c, rc.status);
  if (!r) r << " (" << rc.name << ", sent '" << escapeBytes(rc.bytes, 200) << "')";
  return r;
}

// Raw hostile clients: during the burst a new one sends the next of `cases` every `every`
// (round-robin, 4 rounds); each must be answered as expected.
class RawCaseTest : public HostileTest {
 protected:
  void expectAnswered(const std::string& name, const std::vector<RawCase>& cases, Millis every) {
    expectUndisturbed(name, [&](const std::string& channel) {
      std::vector<std::unique_ptr<SseClient>> hostile;
      ClientFleet fleet(port(), lean());
      BurstDriver driver(origin_, subscribe(fleet, channel, kHealthy));
      Clock::time_point next = Clock::now();
      const BurstResult result = driver.run(spec(channel), [&](Clock::time_point now) {
        if (now < next || hostile.size() >= 4 * cases.size()) return;
        next = now + every;
        const size_t k = hostile.size();
        hostile.push_back(std::make_unique<SseClient>(port()));
        hostile.back()->sendRaw(cases[k % cases.size()].bytes);
        driver.others.push_back(hostile.back().get());
      });
      EXPECT_EQ(hostile.size(), 4 * cases.size()) << "the burst ended before every case was sent";
      for (auto& c : hostile) c->waitClosed(Millis(3000));
      for (size_t i = 0; i < hostile.size(); ++i) {
        EXPECT_TRUE(answeredAsExpected(cases[i % cases.size()], *hostile[i]));
      }
      return result;
    });
  }
};

TEST_F(RawCaseTest, H1_Hostile_SmugglingSet) {
  ASSERT_NO_FATAL_FAILURE(startGateway(hostileConfig()));
  expectAnswered("smuggle", smugglingCases(), 20ms);
  EXPECT_EQ(origin_.acceptedCount("/stream/smuggled"), 0u) << "a smuggled request was served";
}

TEST_F(RawCaseTest, H1_Hostile_OversizedRequestParts) {
  ASSERT_NO_FATAL_FAILURE(startGateway(hostileConfig()));  // max_request_header_bytes 16KiB
  const std::string host = kHost;
  std::string many_headers;
  for (int i = 0; i < 1500; ++i) many_headers += "X-H" + std::to_string(i) + ": vvvvvv\r\n";
  const std::vector<RawCase> cases = {
      {"request line of 20 KiB",
       "GET /events/big?pad=" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\n" + host + "\r\n",
       false, 431},
      {"one header of 20 KiB",
       "GET /events/big HTTP/1.1\r\n" + host + "X-Big: " + std::string(20 * 1024, 'b') + "\r\n\r\n",
       false, 431},
      {"1,500 small headers", "GET /events/big HTTP/1.1\r\n" + host + many_headers + "\r\n", false,
       431},
      {"Last-Event-ID of 20 KiB (over the head limit)",
       "GET /events/big HTTP/1.1\r\n" + host + "Last-Event-ID: " + std::string(20 * 1024, 'c') +
           "\r\n\r\n",
       false, 431},
      {"Last-Event-ID of 2 KiB (over the id limit)",
       "GET /events/big HTTP/1.1\r\n" + host + "Last-Event-ID: " + std::string(2048, 'd') +
           "\r\n\r\n",
       false, 400},
      {"?lastEventId= of 2 KiB",
       "GET /events/big?lastEventId=" + std::string(2048, 'e') + " HTTP/1.1\r\n" + host + "\r\n",
       false, 400},
  };
  expectAnswered("big", cases, 40ms);
}

// A Last-Event-ID given as a query parameter is percent-decoded; if it is offered to the origin
// (first subscriber of a new channel), a decoded CR/LF must never split the upstream request.
TEST_F(HostileTest, H1_Hostile_LastEventIdCannotInjectUpstreamHeaders) {
  ASSERT_NO_FATAL_FAILURE(startGateway(hostileConfig()));
  auto c = openStream("/events/inj?lastEventId=a%0d%0aX-Injected:%20yes%0d%0a%0d%0aGET%20/x");
  c->waitClosed(Millis(1000));  // a 200 stream stays open: the wait just bounds the look
  if (c->status() == 200) {
    ASSERT_TRUE(origin_.waitAcceptedCount("/stream/inj", 1, Millis(5000)));
    origin_.waitOpenCount("/stream/inj", 1, Millis(1000));
  } else {
    EXPECT_TRUE(isErrorResponse(*c, 400)) << "a CR/LF in ?lastEventId= must be 400 or harmless";
  }
  std::cout << "[ observed ] CR/LF in ?lastEventId=: status " << c->status() << std::endl;
  for (const auto& request : origin_.requests("/stream/inj")) {
    EXPECT_EQ(request.headers.count("x-injected"), 0u) << "header injected into the upstream";
    const auto it = request.headers.find("last-event-id");
    if (it != request.headers.end()) {
      EXPECT_EQ(it->second.find_first_of("\r\n"), std::string::npos);
    }
  }
  EXPECT_EQ(origin_.acceptedCount("/x"), 0u) << "a request was smuggled to the origin";
}

// Slowloris: many connections drip their request head one byte every 100 ms. Each gets 408 at
// request_header_timeout (1 s); meanwhile the healthy subscribers are undisturbed and a new
// subscriber connects at once.
TEST_F(HostileTest, H1_Hostile_SlowlorisDrip) {
  ASSERT_NO_FATAL_FAILURE(startGateway(hostileConfig()));
  constexpr size_t kDrippers = 100;
  struct Dripper {
    std::unique_ptr<SseClient> client;
    size_t sent = 0;
    Clock::time_point started;
    Clock::time_point next;
    Clock::time_point closed_at{};
  };
  expectUndisturbed("loris", [&](const std::string& channel) {
    const std::string head = "GET /events/" + channel +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: " + std::string(200, 'd') +
                             "\r\n\r\n";
    std::vector<Dripper> drippers;
    std::unique_ptr<SseClient> newcomer;
    ClientFleet fleet(port(), lean());
    BurstDriver driver(origin_, subscribe(fleet, channel, kHealthy));
    const Clock::time_point begin = Clock::now();
    const BurstResult result = driver.run(spec(channel), [&](Clock::time_point now) {
      if (drippers.size() < kDrippers) {  // all of them within the first ~200 ms
        Dripper d{std::make_unique<SseClient>(port()), 0, now, now};
        driver.others.push_back(d.client.get());
        drippers.push_back(std::move(d));
      }
      for (Dripper& d : drippers) {
        if (d.client->closed()) {
          if (d.closed_at == Clock::time_point{}) d.closed_at = now;
          continue;
        }
        if (now >= d.next && d.sent < head.size()) {
          d.client->sendRaw(head.substr(d.sent++, 1));
          d.next = now + 100ms;
        }
      }
      if (!newcomer && now - begin > 500ms) {
        newcomer = std::make_unique<SseClient>(port());
        newcomer->get("/events/" + channel);
        driver.others.push_back(newcomer.get());
      }
    });
    for (Dripper& d : drippers) {
      d.client->waitClosed(Millis(3000));
      if (d.closed_at == Clock::time_point{}) d.closed_at = Clock::now();
    }
    std::vector<double> after_ms;
    for (size_t i = 0; i < drippers.size(); ++i) {
      const Dripper& d = drippers[i];
      EXPECT_TRUE(isErrorResponse(*d.client, 408)) << "dripper #" << i;
      after_ms.push_back(
          static_cast<double>(std::chrono::duration_cast<Millis>(d.closed_at - d.started).count()));
    }
    std::cout << "[ observed ] 408 after " << percentile(after_ms, 0) << " .. "
              << percentile(after_ms, 100) << " ms (request_header_timeout 1000 ms)" << std::endl;
    EXPECT_GE(percentile(after_ms, 0), 800) << "408 long before request_header_timeout";
    EXPECT_LE(percentile(after_ms, 100), 3000) << "408 long after request_header_timeout";
    EXPECT_TRUE(newcomer != nullptr) << "the burst ended before the newcomer's turn";
    if (newcomer) {
      EXPECT_TRUE(isSseStream(*newcomer, "none")) << "a new subscriber was stalled by the drippers";
      EXPECT_FALSE(newcomer->closed());
    }
    return result;
  });
}

// Subscribers stop reading during a burst (a fraction of them; 1 = a lone slow reader): each is
// shed (closed) per subscriber_buffer after a clean prefix of the stream, while the others get
// every event on time.
class StopReadingTest : public HostileTest {
 protected:
  void run(const std::string& name, size_t total, size_t stopping) {
    ASSERT_NO_FATAL_FAILURE(startGateway(hostileConfig()));
    const size_t healthy = total - stopping;
    expectUndisturbed(
        name, [&](const std::string& channel) { return trial(channel, healthy, stopping); },
        healthy);
  }

  BurstResult trial(const std::string& channel, size_t healthy, size_t stopping) {
    ClientFleet fleet(port(), lean());
    std::vector<SseClient*> healthy_clients = subscribe(fleet, channel, healthy);
    SseClient::Options small = lean();
    small.rcvbuf = 4096;
    ClientFleet stoppers(port(), small);
    std::vector<SseClient*> stopping_clients = subscribe(stoppers, channel, stopping);
    BurstDriver driver(origin_, healthy_clients);
    driver.others = stopping_clients;  // they read ... until a quarter of the burst is out
    BurstSpec s = spec(channel);
    const Clock::time_point begin = Clock::now();
    const Millis stop_at(250 * s.events / s.rate_per_s);
    const BurstResult result = driver.run(s, [&](Clock::time_point now) {
      if (!driver.others.empty() && now - begin >= stop_at) driver.others.clear();
    });

    for (SseClient* c : healthy_clients) EXPECT_FALSE(c->closed()) << c->describe();
    for (SseClient* c : healthy_clients) c->close();

    // Kernel buffers may still hold a short burst for a stopped reader. Keep the channel busy
    // (8 MiB, far beyond kernel buffers plus hard_bytes) until subscriber_buffer sheds them.
    const std::string filler(16 * 1024, 'f');
    for (int k = 1; k <= 512; ++k) {
      origin_.publish(s.channel, s.channel + "-" + std::to_string(s.events + k),
                      "ts=0;seq=" + std::to_string(s.events + k) + ";" + filler);
    }
    fleet.pumpFor(1500ms);  // > soft_timeout; nobody reads

    // The stopped readers must have been shed: read what they were sent, then the close.
    for (size_t i = 0; i < stopping_clients.size(); ++i) {
      SseClient& c = *stopping_clients[i];
      EXPECT_TRUE(c.waitClosed(Millis(5000)))
          << "stopped reader #" << i << " was never shed: " << c.describe();
      EXPECT_LT(c.events().size(), static_cast<size_t>(s.events + 512)) << "stopped reader #" << i;
      EXPECT_GT(c.events().size(), 0u) << "stopped reader #" << i;
      std::vector<std::string> ids;
      for (size_t k = 1; k <= c.events().size(); ++k)
        ids.push_back(s.channel + "-" + std::to_string(k));
      std::vector<SseEvent> got = c.events();
      EXPECT_TRUE(hasIds(got, ids)) << "stopped reader #" << i << " saw a gap before the shed";
    }
    std::cout << "[ observed ] " << stopping << " stopped readers shed after "
              << (stopping_clients.empty() ? 0 : stopping_clients[0]->events().size())
              << " events (first one)" << std::endl;
    return result;
  }
};

TEST_F(StopReadingTest, H1_Hostile_SlowReaderIsShed) {
  run("slow1", kHealthy + 1, 1);
}

TEST_F(StopReadingTest, H1_Hostile_TenPercentStopReading) {
  run("stop10", 20, 2);
}

TEST_F(StopReadingTest, H1_Hostile_HalfStopReading) {
  run("stop50", 20, 10);
}

// A flood of connections past max_connections: the excess get 503 and a close, the healthy
// subscribers are undisturbed, and once the flood is gone normal subscribers connect again.
TEST_F(HostileTest, H1_Hostile_ConnectionFlood) {
  GatewayConfig config = hostileConfig();
  config.max_connections = 3 * kHealthy + 5;  // room for the clean runs beside the healthy
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  constexpr size_t kFlood = 300;
  expectUndisturbed("flood", [&](const std::string& channel) {
    ClientFleet fleet(port(), lean());
    BurstDriver driver(origin_, subscribe(fleet, channel, kHealthy));
    std::vector<std::unique_ptr<SseClient>> flood;
    Clock::time_point next = Clock::now();
    const BurstResult result = driver.run(spec(channel), [&](Clock::time_point now) {
      if (now < next || flood.size() >= kFlood) return;
      next = now + 10ms;
      for (int i = 0; i < 30 && flood.size() < kFlood; ++i) {  // waves of 30 every 10 ms
        flood.push_back(std::make_unique<SseClient>(port(), lean()));
        flood.back()->get("/events/flood-target");
        driver.others.push_back(flood.back().get());
      }
    });
    size_t streams = 0;
    size_t rejected = 0;
    for (size_t i = 0; i < flood.size(); ++i) {
      SseClient& c = *flood[i];
      c.pumpUntil([&] { return c.headComplete() || c.closed(); }, Millis(3000));
      if (c.headComplete() && c.status() == 200) {
        ++streams;
        continue;
      }
      c.waitClosed(Millis(2000));
      EXPECT_TRUE(isErrorResponse(c, 503)) << "flood connection #" << i;
      ++rejected;
    }
    std::cout << "[ observed ] flood of " << kFlood << ": " << streams << " streams, " << rejected
              << " rejected" << std::endl;
    EXPECT_LE(streams, config.max_connections - kHealthy);
    EXPECT_GE(rejected, kFlood - (config.max_connections - kHealthy));
    return result;  // the flood and the fleet close here: the next clean run needs the slots
  });

  // After the flood: normal subscribers connect again (the closes take a moment to be seen).
  const std::string channel = "flood-reconnect";
  std::unique_ptr<ClientFleet> after;
  const bool reconnected = waitUntil(
      [&] {
        after = std::make_unique<ClientFleet>(port(), lean());
        after->connectAll(10, "/events/" + channel, Millis(3000));
        return after->countWithStatus(200) == after->size();
      },
      Millis(10000), Millis(100));
  ASSERT_TRUE(reconnected) << "normal subscribers could not connect after the flood: "
                           << after->describeFirst(
                                  [](const SseClient& c) { return c.status() != 200; });
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/" + channel, 1, Millis(5000)));
  origin_.publish(channel, "after-1", "after the flood");
  EXPECT_TRUE(after->waitAllEvents(1, Millis(5000)))
      << after->describeFirst([](const SseClient& c) { return c.events().empty(); });
}

}  // namespace
}  // namespace ssegate::integration
