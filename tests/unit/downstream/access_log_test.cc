#include "downstream/access_log.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace ssegate::downstream {
namespace {

AccessRecord sample() {
  AccessRecord r;
  r.start_ms = 1000;
  r.client_ip = "127.0.0.1";
  r.method = "GET";
  r.target = "/events/a";
  r.route = "/events/{channel}";
  r.channel = "/stream/a";
  r.status = 200;
  r.events = 3;
  r.bytes = 120;
  return r;
}

TEST(AccessLog, FormatsEveryField) {
  EXPECT_EQ(formatAccessLine(sample(), 3500, "peer closed"),
            "ip=127.0.0.1 user=- method=GET target=/events/a route=/events/{channel} "
            "channel=/stream/a proto=http1 tls=false status=200 duration_ms=2500 events=3 "
            "bytes=120 reason=\"peer closed\"");
}

TEST(AccessLog, NoStatusIsLoggedAs499) {
  AccessRecord r = sample();
  r.status = 0;
  r.http2 = true;
  r.tls = true;
  std::string line = formatAccessLine(r, 1000, "x");
  EXPECT_NE(line.find("proto=h2 tls=true status=499 duration_ms=0"), std::string::npos) << line;
}

TEST(AccessLog, PeerBytesCannotForgeFields) {
  AccessRecord r = sample();
  r.user = "eve status=200";
  r.target = "/e/\"x\n";
  std::string line = formatAccessLine(r, 1000, "a\"b\nc");
  EXPECT_NE(line.find("user=\"eve status=200\" method"), std::string::npos) << line;
  EXPECT_NE(line.find("target=\"/e/\\\"x\\x0a\""), std::string::npos) << line;
  EXPECT_NE(line.find("reason=\"a\\\"b?c\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(AccessLog, RedactsAccessTokenAndTheConfiguredParameter) {
  config::Config c;
  AccessRecord r;
  r.setTarget("/e/x?access_token=SECRET&b=1", c);
  EXPECT_EQ(r.target, "/e/x?access_token=REDACTED&b=1");
  c.identity.jwt.emplace();
  c.identity.jwt->query_param = "tok";
  r.setTarget("/e/x?tok=S1&access_token=S2", c);
  EXPECT_EQ(r.target, "/e/x?tok=REDACTED&access_token=REDACTED");
}

TEST(AccessLog, WritesOnce) {
  AccessRecord r = sample();
  writeAccessLine(&r, 2000, "done");
  EXPECT_TRUE(r.written);
  writeAccessLine(&r, 2000, "again");  // no second line (and no crash)
  EXPECT_TRUE(r.written);
}

}  // namespace
}  // namespace ssegate::downstream
