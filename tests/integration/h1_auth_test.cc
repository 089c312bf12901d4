// Identity, auth, per-user caps and CORS through the real gateway (issue 4, DESIGN A3/A4):
// JWT verification per algorithm (keys made at test time by the openssl CLI), token sources,
// auth_request against a scripted auth app, channels claims, per-user and per-IP caps across
// workers with no leaked slot, per-user channels, token expiry, CORS.
//
// GatewayConfig renders a fixed YAML; the extra sections ride on its last value of each block:
// route keys after `linger`, limits keys and top-level sections after `drain_timeout` (the
// last line of the file). withAuth() below does that in one place.

#include <signal.h>
#include <stdlib.h>

#include <ctime>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "harness/auth_server.h"
#include "harness/child_process.h"
#include "harness/free_port.h"
#include "harness/jwt_minter.h"

namespace ssegate::integration {
namespace {

constexpr const char* kIss = "https://issuer.test";
constexpr const char* kAud = "events";

// `route`: lines for the route (each "key: value"); `limits`: lines under limits:; `top`: whole
// top-level sections.
GatewayConfig withAuth(GatewayConfig c, const std::vector<std::string>& route,
                       const std::vector<std::string>& limits, const std::string& top) {
  for (const std::string& line : route) c.linger += "\n    " + line;
  for (const std::string& line : limits) c.drain_timeout += "\n  " + line;
  if (!top.empty()) c.drain_timeout += "\n" + top;
  return c;
}

std::string jwtSection(const std::string& alg, const std::string& key_file,
                       const std::string& extra = "") {
  std::string y = "identity:\n  jwt:\n    algorithms: [" + alg + "]\n";
  y += alg == "HS256" ? "    secret_file: " + key_file + "\n"
                      : "    public_key_file: " + key_file + "\n";
  y += std::string("    issuer: ") + kIss + "\n    audience: " + kAud + "\n";
  return y + extra;
}

Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

class AuthTest : public GatewayTest {
 protected:
  // Status of one GET (the connection is closed afterwards).
  int statusOf(const std::string& target, const Headers& headers = {}) {
    auto c = openStream(target, headers);
    return c->headComplete() ? c->status() : -1;
  }
  // A GET expected to be refused: waits for the gateway to close the connection.
  std::unique_ptr<SseClient> refused(const std::string& target, const Headers& headers = {}) {
    auto c = openStream(target, headers);
    c->waitClosed();
    return c;
  }
  JwtMinter minter_;
};

// --- JWT per algorithm ---

class JwtAlgTest : public AuthTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(JwtAlgTest, H1_AuthJwtPerAlgorithm) {
  const std::string alg = GetParam();
  const std::string key = minter_.keyFile(alg);
  ASSERT_FALSE(key.empty()) << "openssl could not make a " << alg << " key";
  ASSERT_NO_FATAL_FAILURE(
      startGateway(withAuth(defaultConfig(), {"auth: required"}, {}, jwtSection(alg, key))));

  const std::string good = minter_.sign(alg, JwtMinter::claims("alice", kIss, kAud, 3600));
  ASSERT_FALSE(good.empty());
  auto ok = openStream("/events/a", bearer(good));
  EXPECT_TRUE(isSseStream(*ok, "none")) << alg << " valid token";
  ok.reset();

  auto none = refused("/events/a");
  EXPECT_TRUE(isErrorResponse(*none, 401)) << "no token";
  EXPECT_EQ(none->header("WWW-Authenticate").rfind("Bearer", 0), 0u) << none->describe();

  struct Case {
    const char* what;
    std::string token;
  };
  const std::string other_alg = alg == "RS256" ? "ES256" : "RS256";
  std::vector<Case> cases = {
      {"expired", minter_.sign(alg, JwtMinter::claims("alice", kIss, kAud, -120))},
      {"not yet valid", minter_.sign(alg, JwtMinter::claims("alice", kIss, kAud, 3600, 300))},
      {"wrong signature",
       minter_.sign(alg, JwtMinter::claims("alice", kIss, kAud, 3600), /*other_key=*/true)},
      {"wrong alg", minter_.sign(other_alg, JwtMinter::claims("alice", kIss, kAud, 3600))},
      {"alg none", minter_.sign("none", JwtMinter::claims("alice", kIss, kAud, 3600))},
      {"wrong iss", minter_.sign(alg, JwtMinter::claims("alice", "https://evil.test", kAud, 3600))},
      {"wrong aud", minter_.sign(alg, JwtMinter::claims("alice", kIss, "other", 3600))},
      {"garbage", "not.a.jwt"},
  };
  if (alg != "HS256") {
    // Algorithm confusion: HS256 keyed with the trusted public key's PEM.
    cases.push_back({"alg confusion", minter_.signHmacWithKeyFile(
                                          JwtMinter::claims("alice", kIss, kAud, 3600), key)});
  }
  for (const Case& c : cases) {
    ASSERT_FALSE(c.token.empty()) << c.what << ": could not mint";
    auto client = refused("/events/a", bearer(c.token));
    EXPECT_TRUE(isErrorResponse(*client, 401)) << alg << ": " << c.what;
  }
}

INSTANTIATE_TEST_SUITE_P(Algs, JwtAlgTest, ::testing::Values("HS256", "RS256", "ES256"));

// --- token sources, optional auth, redaction ---

TEST_F(AuthTest, H1_AuthTokenSourcesAndRedaction) {
  const std::string key = minter_.keyFile("HS256");
  ::setenv("SSEGATE_IT_LOG_LEVEL", "debug", 1);
  GatewayConfig config = withAuth(defaultConfig(), {"auth: optional"}, {},
                                  jwtSection("HS256", key,
                                             "    sources: [query, cookie, header]\n"
                                             "    query_param: tok\n    cookie: session\n"));
  startGateway(config);
  ::unsetenv("SSEGATE_IT_LOG_LEVEL");
  if (HasFatalFailure()) return;
  const std::string good = minter_.sign("HS256", JwtMinter::claims("alice", kIss, kAud, 3600));
  const std::string expired = minter_.sign("HS256", JwtMinter::claims("alice", kIss, kAud, -120));

  EXPECT_EQ(statusOf("/events/a", bearer(good)), 200) << "header";
  EXPECT_EQ(statusOf("/events/a?tok=" + good), 200) << "query";
  EXPECT_EQ(statusOf("/events/a", {{"Cookie", "x=1; session=" + good + "; y=2"}}), 200) << "cookie";
  // Optional: no token is anonymous, an invalid one is refused.
  EXPECT_EQ(statusOf("/events/a"), 200) << "anonymous";
  EXPECT_EQ(statusOf("/events/a?tok=" + expired), 401) << "expired token in the query";
  // Sources in order: the query wins over a bad header.
  EXPECT_EQ(statusOf("/events/a?tok=" + good, bearer(expired)), 200) << "source order";

  const std::string log = gateway_->log();
  EXPECT_NE(log.find("tok=REDACTED"), std::string::npos) << "the refused target is logged";
  for (const std::string& token : {good, expired}) {
    const std::string signature = token.substr(token.rfind('.') + 1);
    EXPECT_EQ(log.find(signature), std::string::npos) << "a token reached the log";
  }
}

// --- auth_request ---

TEST_F(AuthTest, H1_AuthRequestAllowDenyTimeout) {
  AuthServer app;
  ASSERT_TRUE(app.start());
  app.setPolicy([](const AuthServer::Request& r) {
    AuthServer::Reply reply;
    const auto cookie = r.headers.count("cookie") ? r.headers.at("cookie") : "";
    if (cookie == "sid=alice") {
      reply.user = "alice";
    } else if (cookie == "sid=nobody") {
      reply.status = 401;
    } else if (cookie == "sid=banned") {
      reply.status = 403;
    } else if (cookie == "sid=slow") {
      reply.hang = true;
    } else if (r.headers.count("authorization") &&
               r.headers.at("authorization") == "Bearer opaque-bob") {
      reply.user = "bob";
    } else {
      reply.status = 401;
    }
    return reply;
  });
  GatewayConfig config = defaultConfig();
  config.route_path = "/me/{feed}";
  config.upstream_path = "/stream/{feed}/{user}";
  startGateway(withAuth(
      config, {"auth: required"}, {},
      "identity:\n  auth_request:\n    url: http://127.0.0.1:" + std::to_string(app.port()) +
          "/check\n    user_header: X-User-Id\n    timeout: 500ms\n"
          "    cache_ttl: 30s\n"));
  if (HasFatalFailure()) return;

  auto alice = openStream("/me/news", {{"Cookie", "sid=alice"}});
  EXPECT_TRUE(isSseStream(*alice, "none"));
  auto bob = openStream("/me/news", {{"Authorization", "Bearer opaque-bob"}});
  EXPECT_TRUE(isSseStream(*bob, "none"));
  EXPECT_TRUE(origin_.waitOpenStreams("/stream/news/alice", 1, Millis(5000)));
  EXPECT_TRUE(origin_.waitOpenStreams("/stream/news/bob", 1, Millis(5000)));
  {
    auto reqs = app.requests();
    ASSERT_GE(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].target, "/check");
    EXPECT_EQ(reqs[0].headers["cookie"], "sid=alice");
    EXPECT_EQ(reqs[1].headers["authorization"], "Bearer opaque-bob");
  }
  // Cached per credential: alice again does not ask the app.
  const size_t asked = app.requestCount();
  auto alice2 = openStream("/me/news", {{"Cookie", "sid=alice"}});
  EXPECT_TRUE(isSseStream(*alice2, "none"));
  EXPECT_EQ(app.requestCount(), asked) << "the answer was not cached";

  auto denied = refused("/me/news", {{"Cookie", "sid=nobody"}});
  EXPECT_TRUE(isErrorResponse(*denied, 401));
  EXPECT_FALSE(denied->header("WWW-Authenticate").empty());
  auto banned = refused("/me/news", {{"Cookie", "sid=banned"}});
  EXPECT_TRUE(isErrorResponse(*banned, 403));
  auto slow = refused("/me/news", {{"Cookie", "sid=slow"}});
  EXPECT_TRUE(isErrorResponse(*slow, 503)) << "auth_request timeout";
  auto no_credentials = refused("/me/news");
  EXPECT_TRUE(isErrorResponse(*no_credentials, 401));

  // A subscriber that leaves while its subrequest is pending: no callback into it (ASan).
  {
    SseClient gone(port());
    gone.get("/me/news", {{"Cookie", "sid=slow"}});
    gone.pumpUntil([] { return false; }, Millis(100));
  }
  std::this_thread::sleep_for(Millis(700));  // the abandoned subrequest's timeout passes
  auto after = openStream("/me/news", {{"Cookie", "sid=alice"}});
  EXPECT_TRUE(isSseStream(*after, "none"));

  // Auth app down: 503.
  app.stop();
  auto down = refused("/me/news", {{"Cookie", "sid=someone-new"}});
  EXPECT_TRUE(isErrorResponse(*down, 503)) << "auth_request unreachable";
}

// --- channels claim ---

TEST_F(AuthTest, H1_AuthChannelsClaim) {
  const std::string key = minter_.keyFile("ES256");
  ASSERT_FALSE(key.empty());
  startGateway(withAuth(defaultConfig(), {"auth: required"}, {},
                        jwtSection("ES256", key, "    channels_claim: channels\n")));
  if (HasFatalFailure()) return;
  const std::string news = minter_.sign(
      "ES256", JwtMinter::claims("alice", kIss, kAud, 3600, -60,
                                 "\"channels\":[\"/stream/news-*\",\"/stream/weather\"]"));
  const std::string no_claim = minter_.sign("ES256", JwtMinter::claims("bob", kIss, kAud, 3600));
  EXPECT_EQ(statusOf("/events/news-1", bearer(news)), 200);
  EXPECT_EQ(statusOf("/events/weather", bearer(news)), 200);
  auto sport = refused("/events/sport", bearer(news));
  EXPECT_TRUE(isErrorResponse(*sport, 403));
  auto absent = refused("/events/news-1", bearer(no_claim));
  EXPECT_TRUE(isErrorResponse(*absent, 403)) << "no channels claim allows no channel";
}

// --- per-user channels ---

TEST_F(AuthTest, H1_AuthPerUserChannels) {
  const std::string key = minter_.keyFile("HS256");
  GatewayConfig config = defaultConfig();
  config.route_path = "/me/notifications";
  config.upstream_path = "/stream/notifications/{user}";
  startGateway(withAuth(config, {"auth: required"}, {}, jwtSection("HS256", key)));
  if (HasFatalFailure()) return;
  auto alice =
      openStream("/me/notifications",
                 bearer(minter_.sign("HS256", JwtMinter::claims("alice", kIss, kAud, 60))));
  auto bob = openStream("/me/notifications",
                        bearer(minter_.sign("HS256", JwtMinter::claims("bob", kIss, kAud, 60))));
  ASSERT_TRUE(isSseStream(*alice, "none"));
  ASSERT_TRUE(isSseStream(*bob, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/notifications/alice", 1, Millis(5000)));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/notifications/bob", 1, Millis(5000)));
  origin_.publish("notifications/alice", "a1", "for alice");
  origin_.publish("notifications/bob", "b1", "for bob");
  ASSERT_TRUE(alice->waitEvents(1)) << alice->describe();
  ASSERT_TRUE(bob->waitEvents(1)) << bob->describe();
  EXPECT_TRUE(hasIds(alice->events(), {"a1"}));
  EXPECT_TRUE(hasIds(bob->events(), {"b1"}));
  auto anonymous = refused("/me/notifications");
  EXPECT_TRUE(isErrorResponse(*anonymous, 401));
}

// --- trusted_header ---

TEST_F(AuthTest, H1_AuthTrustedHeader) {
  GatewayConfig config = defaultConfig();
  config.route_path = "/me/{feed}";
  config.upstream_path = "/stream/{feed}/{user}";
  startGateway(
      withAuth(config, {"auth: required"}, {}, "identity:\n  trusted_header: X-User-Id\n"));
  if (HasFatalFailure()) return;
  auto frank = openStream("/me/inbox", {{"X-User-Id", "frank"}});
  EXPECT_TRUE(isSseStream(*frank, "none"));
  EXPECT_TRUE(origin_.waitOpenStreams("/stream/inbox/frank", 1, Millis(5000)));
  auto anonymous = refused("/me/inbox");
  EXPECT_TRUE(isErrorResponse(*anonymous, 401));
}

// --- token expiry ---

TEST_F(AuthTest, H1_AuthTokenExpiryEndsStream) {
  const std::string key = minter_.keyFile("HS256");
  startGateway(withAuth(defaultConfig(), {"auth: required"}, {}, jwtSection("HS256", key)));
  if (HasFatalFailure()) return;
  auto c = openStream("/events/x",
                      bearer(minter_.sign("HS256", JwtMinter::claims("alice", kIss, kAud, 2))));
  ASSERT_TRUE(isSseStream(*c, "none"));
  const Clock::time_point start = Clock::now();
  ASSERT_TRUE(c->waitClosed(Millis(8000))) << "the stream outlived its token: " << c->describe();
  EXPECT_GE(millisSince(start).count(), 500);
  // The opening retry: and a final one before the end.
  const std::string& body = c->body();
  size_t first = body.find("retry:");
  ASSERT_NE(first, std::string::npos) << body;
  EXPECT_NE(body.find("retry:", first + 1), std::string::npos) << "no final retry: " << body;
}

// --- caps ---

TEST_F(AuthTest, H1_AuthUserCapAcrossWorkers) {
  const std::string key = minter_.keyFile("HS256");
  GatewayConfig config = defaultConfig();
  config.workers = 2;
  config.admin_port = freePort();
  startGateway(withAuth(config, {"auth: required"}, {"max_connections_per_user: 4"},
                        jwtSection("HS256", key)));
  if (HasFatalFailure()) return;
  const std::string token = minter_.sign("HS256", JwtMinter::claims("carol", kIss, kAud, 3600));
  constexpr int kCap = 4;
  {
    ClientFleet fleet(port());
    ASSERT_TRUE(fleet.connectAll(kCap + 1, "/events/cap", Millis(10000), bearer(token)));
    EXPECT_EQ(fleet.countWithStatus(200), static_cast<size_t>(kCap));
    EXPECT_EQ(fleet.countWithStatus(429), 1u);
    for (size_t i = 0; i < fleet.size(); ++i) {
      if (fleet.client(i).status() == 429) {
        EXPECT_FALSE(fleet.client(i).header("Retry-After").empty());
      }
    }
  }

  // 10,000 connect/disconnect cycles over 50 users, 100 at a time.
  std::vector<std::string> tokens;
  for (int u = 0; u < 50; ++u) {
    tokens.push_back(
        minter_.sign("HS256", JwtMinter::claims("user" + std::to_string(u), kIss, kAud, 3600)));
  }
  size_t ok = 0;
  for (int batch = 0; batch < 100; ++batch) {
    ClientFleet fleet(port());
    for (int i = 0; i < 100; ++i) fleet.add("/events/cycle", bearer(tokens[(batch + i) % 50]));
    ASSERT_TRUE(fleet.waitHeads(Millis(20000))) << "batch " << batch;
    ok += fleet.countWithStatus(200);
  }
  EXPECT_GT(ok, 5000u) << "most cycles should have been admitted";

  // Every slot is back: each user opens exactly kCap streams again, and no more.
  ASSERT_TRUE(waitUntil(
      [&] {
        SseClient m(gateway_->config().admin_port);
        m.get("/metrics");
        m.waitClosed();
        return m.body().find("\nssegate_subscriptions 0\n") != std::string::npos;
      },
      Millis(10000), Millis(100)))
      << "subscriptions did not return to 0";
  for (const std::string& user_token : {token, tokens[0], tokens[49]}) {
    ClientFleet fleet(port());
    ASSERT_TRUE(fleet.connectAll(kCap + 1, "/events/again", Millis(10000), bearer(user_token)));
    EXPECT_EQ(fleet.countWithStatus(200), static_cast<size_t>(kCap)) << "a slot leaked";
    EXPECT_EQ(fleet.countWithStatus(429), 1u);
  }
}

TEST_F(AuthTest, H1_AuthRouteCapOverride) {
  const std::string key = minter_.keyFile("HS256");
  startGateway(withAuth(defaultConfig(), {"auth: required", "max_connections_per_user: 2"},
                        {"max_connections_per_user: 10"}, jwtSection("HS256", key)));
  if (HasFatalFailure()) return;
  const Headers h = bearer(minter_.sign("HS256", JwtMinter::claims("dave", kIss, kAud, 3600)));
  auto a = openStream("/events/r", h);
  auto b = openStream("/events/r", h);
  auto c = refused("/events/r", h);
  EXPECT_EQ(a->status(), 200);
  EXPECT_EQ(b->status(), 200);
  EXPECT_TRUE(isErrorResponse(*c, 429));
  EXPECT_FALSE(c->header("Retry-After").empty());
  // The slot is released when the stream ends.
  a->close();
  ASSERT_TRUE(waitUntil([&] { return statusOf("/events/r", h) == 200; }, Millis(5000), Millis(50)));
}

TEST_F(AuthTest, H1_AuthAnonymousPerIpCap) {
  startGateway(withAuth(defaultConfig(), {}, {"max_connections_per_ip: 2"}, ""));
  if (HasFatalFailure()) return;
  auto a = openStream("/events/ip");
  auto b = openStream("/events/ip");
  auto c = refused("/events/ip");
  EXPECT_TRUE(isSseStream(*a, "none"));
  EXPECT_TRUE(isSseStream(*b, "none"));
  EXPECT_TRUE(isErrorResponse(*c, 429));
  EXPECT_FALSE(c->header("Retry-After").empty());
  b->close();
  ASSERT_TRUE(waitUntil([&] { return statusOf("/events/ip") == 200; }, Millis(5000), Millis(50)));
}

// --- CORS ---

TEST_F(AuthTest, H1_AuthCors) {
  startGateway(withAuth(defaultConfig(), {}, {},
                        "cors:\n  allow_origins: [\"https://app.example.com\"]\n"
                        "  allow_credentials: true\n"));
  if (HasFatalFailure()) return;
  auto pre = exchangeRaw(
      "OPTIONS /events/c HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: GET\r\n"
      "Access-Control-Request-Headers: last-event-id, authorization, x-other\r\n\r\n");
  EXPECT_EQ(pre->status(), 204) << pre->describe();
  EXPECT_EQ(pre->header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(pre->header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(pre->header("Access-Control-Allow-Methods"), "GET");
  EXPECT_EQ(pre->header("Access-Control-Allow-Headers"), "Last-Event-ID, Authorization");
  EXPECT_FALSE(pre->header("Access-Control-Max-Age").empty());

  auto bad_pre = exchangeRaw(
      "OPTIONS /events/c HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example.com\r\n"
      "Access-Control-Request-Method: GET\r\n\r\n");
  EXPECT_EQ(bad_pre->header("Access-Control-Allow-Origin"), "") << bad_pre->describe();

  auto get = openStream("/events/c", {{"Origin", "https://app.example.com"}});
  EXPECT_TRUE(isSseStream(*get, "none"));
  EXPECT_EQ(get->header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(get->header("Vary"), "Origin");
  EXPECT_EQ(get->header("Access-Control-Allow-Credentials"), "true");
  auto other = openStream("/events/c", {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(other->header("Access-Control-Allow-Origin"), "");
}

TEST(AuthConfig, H1_AuthCorsWildcardWithCredentialsRefused) {
  TempDir dir;
  GatewayConfig c;
  c.port = freePort();
  c.origin_port = freePort();
  c = withAuth(c, {}, {}, "cors:\n  allow_origins: [\"*\"]\n  allow_credentials: true\n");
  const std::string path = dir.write("cors.yaml", c.toYaml());
  const CommandResult r =
      runCommand({SSEGATE_BINARY, "-t", "-c", path}, dir.file("out"), Millis(20000));
  EXPECT_TRUE(r.exit.exited && r.exit.code == 1) << r.output;
  EXPECT_NE(r.output.find("allow_credentials"), std::string::npos) << r.output;
}

// --- a key file the verifier cannot use: start-up fails, a reload keeps the old config ---

TEST_F(AuthTest, H1_AuthBadKeyFile) {
  const std::string key = minter_.keyFile("RS256");
  TempDir scratch;
  const std::string bad = scratch.write("bad.pem", "not a pem\n");
  {
    GatewayConfig c = withAuth(defaultConfig(), {"auth: required"}, {}, jwtSection("RS256", bad));
    GatewayProcess p(SSEGATE_BINARY, c);
    EXPECT_FALSE(p.start(Millis(5000)));
    auto exit = p.waitExit(Millis(5000));
    ASSERT_TRUE(exit.has_value());
    EXPECT_TRUE(exit->exited && exit->code == 1) << exit->describe();
    EXPECT_NE(p.log().find("identity.jwt"), std::string::npos) << p.log();
  }
  GatewayConfig good = withAuth(defaultConfig(), {"auth: required"}, {}, jwtSection("RS256", key));
  startGateway(good);
  if (HasFatalFailure()) return;
  GatewayConfig broken = good;
  broken.drain_timeout = defaultConfig().drain_timeout;
  broken = withAuth(broken, {}, {}, jwtSection("RS256", bad));
  gateway_->rewriteConfigText(broken.toYaml());
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  ASSERT_TRUE(waitUntil([&] { return gateway_->log().find("reload failed") != std::string::npos; },
                        Millis(5000)))
      << gateway_->log();
  const std::string token = minter_.sign("RS256", JwtMinter::claims("erin", kIss, kAud, 3600));
  EXPECT_EQ(statusOf("/events/k", bearer(token)), 200) << "the old configuration stays";
}

}  // namespace
}  // namespace ssegate::integration
