// Malformed and hostile requests get the documented status, a one-line body and a close; the
// gateway keeps serving normal subscribers afterwards.

#include <iostream>
#include <string>

#include "gateway_test.h"

namespace ssegate::integration {
namespace {

constexpr char kHost[] = "Host: 127.0.0.1\r\n";

TEST_F(GatewayTest, H1_MalformedRequests) {
  GatewayConfig config = defaultConfig();
  config.max_request_header_bytes = "16KiB";
  config.request_header_timeout = "1s";
  ASSERT_NO_FATAL_FAILURE(startGateway(config));
  const std::string host = kHost;

  {
    auto c = exchangeRaw("THIS IS NOT HTTP AT ALL\r\n\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 400)) << "garbage request line";
  }
  {
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host +
                         "X-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 431)) << "head larger than max_request_header_bytes";
  }
  {
    auto c = exchangeRaw("POST /events/x HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 405)) << "POST on an SSE route";
  }
  {
    auto c = exchangeRaw("GET /nope HTTP/1.1\r\n" + host + "\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 404)) << "unknown path";
  }
  {
    auto c = exchangeRaw("GET /events/a/b HTTP/1.1\r\n" + host + "\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 404)) << "{channel} captures one segment only";
  }
  {
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello");
    EXPECT_TRUE(isErrorResponse(*c, 400)) << "GET with a body";
  }
  {
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host +
                         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 400)) << "GET with a chunked body";
  }
  {
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host + "X-Folded: a\r\n  b\r\n\r\n");
    EXPECT_TRUE(isErrorResponse(*c, 400)) << "obs-fold header";
  }
  {
    // A second request pipelined behind an SSE GET: the stream cannot answer it, so the
    // connection must be closed (after the stream's 200 head, or with a 400).
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host + "\r\nGET /events/y HTTP/1.1\r\n" +
                         host + "\r\n");
    EXPECT_TRUE(c->closed()) << "pipelined request after an SSE GET left the connection open: "
                             << c->describe();
    EXPECT_TRUE(c->status() == 200 || c->status() == 400) << c->describe();
    std::cout << "[ observed ] pipelined request: status " << c->status() << ", then closed"
              << std::endl;
  }
  {
    // Slowloris: part of the head, then nothing. request_header_timeout is 1s.
    const Clock::time_point sent = Clock::now();
    auto c = exchangeRaw("GET /events/x HTTP/1.1\r\n" + host, Millis(5000));
    const auto after = millisSince(sent).count();
    EXPECT_TRUE(isErrorResponse(*c, 408)) << "slow head";
    EXPECT_GE(after, 500) << "408 long before request_header_timeout";
    EXPECT_LE(after, 3000) << "408 long after request_header_timeout";
  }

  // After all that, a normal subscriber still works.
  auto ok = openStream("/events/x");
  ASSERT_TRUE(isSseStream(*ok, "none"));
  ASSERT_TRUE(origin_.waitOpenStreams("/stream/x", 1, Millis(5000)));
  origin_.publish("x", "x-1", "fine");
  ASSERT_TRUE(ok->waitEvents(1)) << ok->describe();
  EXPECT_TRUE(hasIds(ok->events(), {"x-1"}));
}

}  // namespace
}  // namespace ssegate::integration
