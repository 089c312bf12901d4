#include "config/path_template.h"

#include <gtest/gtest.h>

#include <map>

namespace ssegate::config {
namespace {

using Captures = PathTemplate::Captures;

PathTemplate route(std::string_view text) {
  std::string error;
  auto t = PathTemplate::compile(text, &error);
  EXPECT_TRUE(t.has_value()) << text << ": " << error;
  return t ? *t : *PathTemplate::compile("/", nullptr);
}

std::string routeError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(PathTemplate::compile(text, &error).has_value()) << text;
  return error;
}

std::string upstreamError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(PathTemplate::compileUpstream(text, &error).has_value()) << text;
  return error;
}

TEST(PathTemplateTest, MatchesAndCaptures) {
  const PathTemplate t = route("/events/{channel}");
  Captures captures;
  ASSERT_TRUE(t.match("/events/news", &captures));
  ASSERT_EQ(captures.size(), 1u);
  EXPECT_EQ(captures[0].first, "channel");
  EXPECT_EQ(captures[0].second, "news");
  EXPECT_TRUE(t.match("/events/A-z_0.9~", &captures));
  EXPECT_EQ(captures[0].second, "A-z_0.9~");
  EXPECT_TRUE(t.match("/events/x", nullptr));
}

TEST(PathTemplateTest, ExactSegmentCount) {
  const PathTemplate t = route("/events/{channel}");
  EXPECT_FALSE(t.match("/events", nullptr));
  EXPECT_FALSE(t.match("/events/", nullptr));
  EXPECT_FALSE(t.match("/events/a/b", nullptr));
  EXPECT_FALSE(t.match("/events/a/", nullptr));
  EXPECT_FALSE(t.match("/event/a", nullptr));
  EXPECT_FALSE(t.match("/eventsX/a", nullptr));
  EXPECT_FALSE(t.match("events/a", nullptr));
  EXPECT_FALSE(t.match("", nullptr));
  EXPECT_FALSE(t.match("//events/a", nullptr));
}

TEST(PathTemplateTest, CaptureCharacterSet) {
  const PathTemplate t = route("/events/{channel}");
  for (const char* bad : {"/events/a%20b", "/events/a b", "/events/a:b", "/events/%2F",
                          "/events/caf\xc3\xa9", "/events/a+b", "/events/.", "/events/.."}) {
    EXPECT_FALSE(t.match(bad, nullptr)) << bad;
  }
  EXPECT_TRUE(t.match("/events/...", nullptr));  // only "." and ".." are dot-segments
}

TEST(PathTemplateTest, FailedMatchLeavesCapturesUntouched) {
  const PathTemplate t = route("/a/{x}/b/{y}");
  Captures captures{{"keep", "me"}};
  EXPECT_FALSE(t.match("/a/1/c/2", &captures));
  ASSERT_EQ(captures.size(), 1u);
  EXPECT_EQ(captures[0].first, "keep");
  ASSERT_TRUE(t.match("/a/1/b/2", &captures));
  EXPECT_EQ(captures, (Captures{{"x", "1"}, {"y", "2"}}));
}

TEST(PathTemplateTest, LiteralOnlyAndRoot) {
  const PathTemplate root = route("/");
  EXPECT_TRUE(root.match("/", nullptr));
  EXPECT_FALSE(root.match("/a", nullptr));
  const PathTemplate me = route("/me/notifications");
  Captures captures{{"stale", "x"}};
  EXPECT_TRUE(me.match("/me/notifications", &captures));
  EXPECT_TRUE(captures.empty());
  EXPECT_FALSE(me.match("/me/notifications/", nullptr));
  EXPECT_TRUE(me.variables().empty());
  const PathTemplate trailing = route("/events/");
  EXPECT_TRUE(trailing.match("/events/", nullptr));
  EXPECT_FALSE(trailing.match("/events", nullptr));
}

TEST(PathTemplateTest, LiteralMayContainSubDelims) {
  const PathTemplate t = route("/v1:stream/@me;x=1,y/{id}");
  Captures captures;
  EXPECT_TRUE(t.match("/v1:stream/@me;x=1,y/42", &captures));
  EXPECT_EQ(captures, (Captures{{"id", "42"}}));
}

TEST(PathTemplateTest, Variables) {
  const PathTemplate t = route("/t/{tenant}/c/{channel}");
  EXPECT_EQ(t.variables(), (std::vector<std::string>{"tenant", "channel"}));
  EXPECT_TRUE(t.hasVariable("tenant"));
  EXPECT_FALSE(t.hasVariable("user"));
  EXPECT_TRUE(t.isRoute());
  EXPECT_EQ(t.text(), "/t/{tenant}/c/{channel}");
}

TEST(PathTemplateTest, RouteCompileErrors) {
  EXPECT_EQ(routeError(""), "empty path template");
  EXPECT_EQ(routeError("events/{x}"), "path template must start with '/'");
  EXPECT_EQ(routeError("/a/{x}/{x}"), "duplicate variable {x} at position 8");
  EXPECT_EQ(routeError("/a/{1x}"),
            "invalid variable name \"1x\" at position 4 (expected [A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(routeError("/a/{}"),
            "invalid variable name \"\" at position 4 (expected [A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(routeError("/a/{x"), "unclosed '{' at position 4");
  EXPECT_EQ(routeError("/a/{x}.json"), "a variable must be a whole path segment at position 4");
  EXPECT_EQ(routeError("/a/x{y}"), "a variable must be a whole path segment at position 5");
  EXPECT_EQ(routeError("/a/x}"), "a variable must be a whole path segment at position 5");
  EXPECT_EQ(routeError("/a//b"), "empty path segment at position 4");
  EXPECT_EQ(routeError("/a?b=1"), "invalid character '?' at position 3");
  EXPECT_EQ(routeError("/a%20b"), "invalid character '%' at position 3");
  EXPECT_EQ(routeError("/a b"), "invalid character ' ' at position 3");
  EXPECT_EQ(routeError("/a\tb"), "invalid character byte 0x09 at position 3");
  EXPECT_EQ(routeError("/a/../b"), "dot-segment \"..\" at position 4");
  EXPECT_EQ(routeError("/{a-b}"),
            "invalid variable name \"a-b\" at position 2 (expected [A-Za-z_][A-Za-z0-9_]*)");
}

TEST(PathTemplateTest, UpstreamTemplatesAllowVariablesInsideSegments) {
  std::string error;
  auto t = PathTemplate::compileUpstream("/stream/{channel}.json?from={user}&x={channel}", &error);
  ASSERT_TRUE(t) << error;
  EXPECT_FALSE(t->isRoute());
  EXPECT_EQ(t->variables(), (std::vector<std::string>{"channel", "user"}));
  EXPECT_FALSE(t->match("/stream/a.json", nullptr));  // render-only
  std::map<std::string, std::string, std::less<>> values{{"channel", "news"}, {"user", "u1"}};
  auto lookup = [&](std::string_view name) -> const std::string* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  EXPECT_EQ(t->render(lookup), "/stream/news.json?from=u1&x=news");
}

TEST(PathTemplateTest, UpstreamCompileErrors) {
  EXPECT_EQ(upstreamError("stream"), "path template must start with '/'");
  EXPECT_EQ(upstreamError("/a}"), "unmatched '}' at position 3");
  EXPECT_EQ(upstreamError("/a/{x"), "unclosed '{' at position 4");
  EXPECT_EQ(upstreamError("/a#frag"), "invalid character '#' at position 3");
  EXPECT_EQ(upstreamError("/a%2"), "invalid percent-escape at position 3");
  EXPECT_EQ(upstreamError("/a%zz"), "invalid percent-escape at position 3");
  EXPECT_TRUE(PathTemplate::compileUpstream("/a%20b/{x}{y}", nullptr));
}

TEST(PathTemplateTest, RenderEncodesValues) {
  auto t = PathTemplate::compileUpstream("/notifications/{user}", nullptr);
  ASSERT_TRUE(t);
  std::string user;
  auto lookup = [&](std::string_view) -> const std::string* { return &user; };
  user = "alice@example.com/../x y";
  EXPECT_EQ(t->render(lookup), "/notifications/alice%40example.com%2F..%2Fx%20y");
  user = "..";
  EXPECT_EQ(t->render(lookup), "/notifications/%2E%2E");
  user = ".";
  EXPECT_EQ(t->render(lookup), "/notifications/%2E");
  user = "\xff";
  EXPECT_EQ(t->render(lookup), "/notifications/%FF");
  EXPECT_EQ(t->render([](std::string_view) -> const std::string* { return nullptr; }),
            "/notifications/");
}

TEST(PathTemplateTest, RouteTemplatesRenderToo) {
  const PathTemplate t = route("/events/{channel}/x");
  const std::string value = "c1";
  EXPECT_EQ(t.render([&](std::string_view) { return &value; }), "/events/c1/x");
  EXPECT_EQ(route("/").render([](std::string_view) { return nullptr; }), "/");
}

TEST(PathTemplateTest, MatchRenderRoundTrip) {
  const PathTemplate t = route("/t/{tenant}/events/{channel}");
  Captures captures;
  ASSERT_TRUE(t.match("/t/acme/events/orders-1", &captures));
  auto lookup = [&](std::string_view name) -> const std::string* {
    for (const auto& [k, v] : captures) {
      if (k == name) return &v;
    }
    return nullptr;
  };
  EXPECT_EQ(t.render(lookup), "/t/acme/events/orders-1");
}

}  // namespace
}  // namespace ssegate::config
