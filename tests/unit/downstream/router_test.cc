#include "downstream/router.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "config/config_loader.h"

namespace ssegate::downstream {
namespace {

std::shared_ptr<const config::Config> load(const std::string& yaml) {
  config::LoadResult result = config::loadConfigString(yaml, "router_test.yaml");
  for (const auto& e : result.errors) ADD_FAILURE() << e.format();
  EXPECT_TRUE(result.ok());
  return result.config;
}

constexpr char kConfig[] = R"(listeners:
  - address: 127.0.0.1:8080
upstreams:
  app:
    url: http://127.0.0.1:9000
  other:
    url: http://127.0.0.1:9001
identity:
  trusted_header: X-User
routes:
  - path: /events/special
    upstream: other
    upstream_path: /special-stream
  - path: /events/{channel}
    upstream: app
    upstream_path: /stream/{channel}
  - path: /rooms/{room}/topics/{topic}
    upstream: other
    upstream_path: /feed/{topic}.json?room={room}&t={topic}
  - path: /me/notifications
    upstream: app
    upstream_path: /notifications/{user}
    auth: required
  - path: /static
    upstream: app
    upstream_path: /fixed?x=1
)";

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = load(kConfig);
    ASSERT_TRUE(config_);
    ASSERT_EQ(config_->routes.size(), 5u);
    router_ = std::make_unique<Router>(*config_);
  }

  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, CaptureRenderedIntoUpstreamPath) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/events/news", "", &m));
  EXPECT_EQ(m.route, &config_->routes[1]);
  EXPECT_EQ(m.upstream_path, "/stream/news");
  EXPECT_EQ(m.channel_key, "app\n/stream/news");
}

TEST_F(RouterTest, FirstMatchWins) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/events/special", "", &m));
  EXPECT_EQ(m.route, &config_->routes[0]);
  EXPECT_EQ(m.upstream_path, "/special-stream");
  EXPECT_EQ(m.channel_key, "other\n/special-stream");
  ASSERT_TRUE(router_->route("/events/specials", "", &m));
  EXPECT_EQ(m.route, &config_->routes[1]);
  EXPECT_EQ(m.upstream_path, "/stream/specials");
}

TEST(RouterOrderTest, EarlierGeneralRouteShadowsLaterLiteral) {
  auto config = load(R"(listeners: [ { address: "127.0.0.1:8080" } ]
upstreams: { app: { url: "http://a" }, b: { url: "http://b" } }
routes:
  - { path: "/events/{channel}", upstream: app, upstream_path: "/s/{channel}" }
  - { path: "/events/special", upstream: b, upstream_path: "/special" }
)");
  ASSERT_TRUE(config);
  Router router(*config);
  Router::Match m;
  ASSERT_TRUE(router.route("/events/special", "", &m));
  EXPECT_EQ(m.route, &config->routes[0]);
  EXPECT_EQ(m.channel_key, "app\n/s/special");
}

TEST_F(RouterTest, SeveralCapturesRepeatedAndInsideSegments) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/rooms/r1/topics/t.2", "", &m));
  EXPECT_EQ(m.route, &config_->routes[2]);
  EXPECT_EQ(m.upstream_path, "/feed/t.2.json?room=r1&t=t.2");
  EXPECT_EQ(m.channel_key, "other\n/feed/t.2.json?room=r1&t=t.2");
}

TEST_F(RouterTest, UserIsRenderedEncoded) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/me/notifications", "alice", &m));
  EXPECT_EQ(m.route, &config_->routes[3]);
  EXPECT_EQ(m.upstream_path, "/notifications/alice");
  EXPECT_EQ(m.channel_key, "app\n/notifications/alice");

  ASSERT_TRUE(router_->route("/me/notifications", "bob smith/x?y", &m));
  EXPECT_EQ(m.upstream_path, "/notifications/bob%20smith%2Fx%3Fy");
  ASSERT_TRUE(router_->route("/me/notifications", "..", &m));
  EXPECT_EQ(m.upstream_path.find("/.."), std::string::npos) << m.upstream_path;
  // A user cannot inject a newline into the channel key.
  ASSERT_TRUE(router_->route("/me/notifications", "a\nb", &m));
  EXPECT_EQ(m.channel_key, "app\n/notifications/a%0Ab");
}

TEST_F(RouterTest, DifferentUsersGetDifferentChannels) {
  Router::Match a, b;
  ASSERT_TRUE(router_->route("/me/notifications", "alice", &a));
  ASSERT_TRUE(router_->route("/me/notifications", "bob", &b));
  EXPECT_NE(a.channel_key, b.channel_key);
}

TEST_F(RouterTest, SameUpstreamStreamSameChannelKey) {
  Router::Match a, b;
  ASSERT_TRUE(router_->route("/events/x", "alice", &a));
  ASSERT_TRUE(router_->route("/events/x", "bob", &b));
  EXPECT_EQ(a.channel_key, b.channel_key);
}

TEST_F(RouterTest, LiteralRouteWithQueryInUpstreamPath) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/static", "", &m));
  EXPECT_EQ(m.route, &config_->routes[4]);
  EXPECT_EQ(m.upstream_path, "/fixed?x=1");
  EXPECT_EQ(m.channel_key, "app\n/fixed?x=1");
}

TEST_F(RouterTest, NoMatch) {
  for (const char* path :
       {"/", "", "/events", "/events/", "/events/a/b", "/event/a", "/EVENTS/a", "/rooms/r1/topics",
        "/rooms/r1/topics/", "/me", "/static/x", "/events/..", "/events/a%2Fb", "/events/a b"}) {
    Router::Match m;
    m.upstream_path = "untouched";
    EXPECT_FALSE(router_->route(path, "", &m)) << path << " -> " << m.upstream_path;
    EXPECT_EQ(m.route, nullptr) << path;
  }
}

TEST_F(RouterTest, MatchIsOverwrittenOnReuse) {
  Router::Match m;
  ASSERT_TRUE(router_->route("/rooms/a/topics/b", "", &m));
  ASSERT_TRUE(router_->route("/events/c", "", &m));
  EXPECT_EQ(m.route, &config_->routes[1]);
  EXPECT_EQ(m.upstream_path, "/stream/c");
  EXPECT_EQ(m.channel_key, "app\n/stream/c");
}

}  // namespace
}  // namespace ssegate::downstream
