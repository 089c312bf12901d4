#include "downstream/http_util.h"

#include <gtest/gtest.h>

#include <string>

namespace ssegate::downstream {
namespace {

// Splits a response into head (without the blank line) and body.
void splitResponse(const std::string& response, std::string* head, std::string* body) {
  size_t end = response.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << response;
  *head = response.substr(0, end + 2);
  *body = response.substr(end + 4);
}

std::string headerValue(const std::string& head, const std::string& name) {
  std::string key = "\r\n" + name + ": ";
  size_t at = head.find(key);
  if (at == std::string::npos) return "<absent>";
  size_t start = at + key.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

TEST(HttpUtilTest, StatusTexts) {
  EXPECT_STREQ(statusText(200), "OK");
  EXPECT_STREQ(statusText(204), "No Content");
  EXPECT_STREQ(statusText(400), "Bad Request");
  EXPECT_STREQ(statusText(401), "Unauthorized");
  EXPECT_STREQ(statusText(403), "Forbidden");
  EXPECT_STREQ(statusText(404), "Not Found");
  EXPECT_STREQ(statusText(405), "Method Not Allowed");
  EXPECT_STREQ(statusText(408), "Request Timeout");
  EXPECT_STREQ(statusText(410), "Gone");
  EXPECT_STREQ(statusText(429), "Too Many Requests");
  EXPECT_STREQ(statusText(431), "Request Header Fields Too Large");
  EXPECT_STREQ(statusText(500), "Internal Server Error");
  EXPECT_STREQ(statusText(502), "Bad Gateway");
  EXPECT_STREQ(statusText(503), "Service Unavailable");
  EXPECT_STREQ(statusText(418), "Error");
  EXPECT_STREQ(statusText(0), "Error");
  EXPECT_STREQ(statusText(-1), "Error");
}

TEST(HttpUtilTest, ErrorResponseExactBytes) {
  EXPECT_EQ(errorResponse(404, "no route"),
            "HTTP/1.1 404 Not Found\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 9\r\n"
            "Connection: close\r\n"
            "Cache-Control: no-cache\r\n"
            "\r\n"
            "no route\n");
}

TEST(HttpUtilTest, ErrorResponseContentLengthMatchesBody) {
  for (int status : {400, 401, 403, 404, 405, 408, 429, 431, 503, 599}) {
    for (std::string body : {std::string(), std::string("x"), std::string("too many requests"),
                             std::string(5000, 'b'), std::string("caf\xc3\xa9")}) {
      std::string response = errorResponse(status, body);
      std::string head, rest;
      splitResponse(response, &head, &rest);
      EXPECT_EQ(head.substr(0, head.find("\r\n")),
                "HTTP/1.1 " + std::to_string(status) + " " + statusText(status));
      EXPECT_EQ(rest, body + "\n");
      EXPECT_EQ(headerValue(head, "Content-Length"), std::to_string(rest.size()));
      EXPECT_EQ(headerValue(head, "Connection"), "close");
      EXPECT_EQ(headerValue(head, "Content-Type"), "text/plain; charset=utf-8");
    }
  }
}

TEST(HttpUtilTest, ErrorResponseExtraHeadersBeforeBlankLine) {
  std::string response =
      errorResponse(429, "slow down", "Retry-After: 5\r\nX-Reason: per-user\r\n");
  std::string head, body;
  splitResponse(response, &head, &body);
  EXPECT_EQ(headerValue(head, "Retry-After"), "5");
  EXPECT_EQ(headerValue(head, "X-Reason"), "per-user");
  EXPECT_EQ(body, "slow down\n");
  EXPECT_EQ(headerValue(head, "Content-Length"), "10");
  // Exactly one blank line, at the end of the head.
  EXPECT_EQ(response.find("\r\n\r\n"), response.rfind("\r\n\r\n"));
  EXPECT_EQ(response.substr(0, 25), "HTTP/1.1 429 Too Many Req");
}

TEST(HttpUtilTest, ErrorResponse503WithRetryAfter) {
  EXPECT_EQ(errorResponse(503, "draining", "Retry-After: 1\r\n"),
            "HTTP/1.1 503 Service Unavailable\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 9\r\n"
            "Connection: close\r\n"
            "Cache-Control: no-cache\r\n"
            "Retry-After: 1\r\n"
            "\r\n"
            "draining\n");
}

TEST(HttpUtilTest, NoContentHasNoBody) {
  EXPECT_EQ(errorResponse(204, "ignored"), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(errorResponse(204, "", "X-A: b\r\n"),
            "HTTP/1.1 204 No Content\r\nConnection: close\r\nX-A: b\r\n\r\n");
}

TEST(HttpUtilTest, QueryParamBasics) {
  EXPECT_EQ(queryParam("a=1&b=2", "a"), "1");
  EXPECT_EQ(queryParam("a=1&b=2", "b"), "2");
  EXPECT_EQ(queryParam("a=1&b=2", "c"), std::nullopt);
  EXPECT_EQ(queryParam("", "a"), std::nullopt);
  EXPECT_EQ(queryParam("lastEventId=42", "lastEventId"), "42");
}

TEST(HttpUtilTest, QueryParamNameMatchesExactly) {
  EXPECT_EQ(queryParam("ab=1&a=2", "a"), "2");
  EXPECT_EQ(queryParam("a=1", "ab"), std::nullopt);
  EXPECT_EQ(queryParam("A=1", "a"), std::nullopt);
  EXPECT_EQ(queryParam("xa=1&ax=2", "a"), std::nullopt);
}

TEST(HttpUtilTest, QueryParamEmptyAndValuelessParameters) {
  EXPECT_EQ(queryParam("a=", "a"), "");
  EXPECT_EQ(queryParam("a", "a"), "");
  EXPECT_EQ(queryParam("b=1&a", "a"), "");
  EXPECT_EQ(queryParam("&&a=1&&", "a"), "1");
  EXPECT_EQ(queryParam("=x&a=1", "a"), "1");
  EXPECT_EQ(queryParam("=x", ""), "x");
}

TEST(HttpUtilTest, QueryParamFirstOccurrenceWins) {
  EXPECT_EQ(queryParam("a=1&a=2", "a"), "1");
}

TEST(HttpUtilTest, QueryParamValueMayContainEquals) {
  EXPECT_EQ(queryParam("a=b=c&d=1", "a"), "b=c");
}

TEST(HttpUtilTest, QueryParamDecodes) {
  EXPECT_EQ(queryParam("id=%41%62%2f%2F", "id"), "Ab//");
  EXPECT_EQ(queryParam("id=a%26b%3Dc", "id"), "a&b=c");
  EXPECT_EQ(queryParam("id=%E2%9C%93", "id"), "\xe2\x9c\x93");
  EXPECT_EQ(queryParam("id=100%25", "id"), "100%");
}

TEST(HttpUtilTest, QueryParamPlusIsSpaceAndEncodedPlusIsPlus) {
  // As URLSearchParams encodes them: ' ' -> '+', '+' -> %2B.
  EXPECT_EQ(queryParam("id=a+b", "id"), "a b");
  EXPECT_EQ(queryParam("id=a%2Bb", "id"), "a+b");
  EXPECT_EQ(queryParam("id=%20", "id"), " ");
}

TEST(HttpUtilTest, QueryParamRefusesControlBytesThatCouldInjectLines) {
  EXPECT_EQ(queryParam("id=a%0Db", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=a%0db", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=a%0Ab", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=%0D%0Aevent:%20x", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=a%00b", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=%00", "id"), std::nullopt);
  // Raw bytes in the query string are refused too.
  EXPECT_EQ(queryParam(std::string_view("id=a\nb", 5), "id"), std::nullopt);
  EXPECT_EQ(queryParam(std::string_view("id=a\rb", 5), "id"), std::nullopt);
  EXPECT_EQ(queryParam(std::string_view("id=a\0b", 5), "id"), std::nullopt);
  // Other control characters are not line ends: allowed.
  EXPECT_EQ(queryParam("id=a%09b", "id"), "a\tb");
  // A bad parameter elsewhere does not spoil the one asked for.
  EXPECT_EQ(queryParam("x=%0A&id=ok", "id"), "ok");
}

TEST(HttpUtilTest, QueryParamRefusesBadEscapes) {
  EXPECT_EQ(queryParam("id=%", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=%4", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=%zz", "id"), std::nullopt);
  EXPECT_EQ(queryParam("id=%4g&x=1", "id"), std::nullopt);
  EXPECT_EQ(queryParam("x=%zz&id=ok", "id"), "ok");
}

TEST(HttpUtilTest, PercentDecode) {
  std::string out;
  EXPECT_TRUE(percentDecode("", &out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(percentDecode("plain-text_~.", &out));
  EXPECT_EQ(out, "plain-text_~.");
  EXPECT_TRUE(percentDecode("%41%42c", &out));
  EXPECT_EQ(out, "ABc");
  EXPECT_TRUE(percentDecode("%7e%7E%ff", &out));
  EXPECT_EQ(out, "~~\xff");
  EXPECT_TRUE(percentDecode("a%20b+c", &out));
  EXPECT_EQ(out, "a b c");
  EXPECT_TRUE(percentDecode("%00", &out));
  EXPECT_EQ(out, std::string(1, '\0'));
  EXPECT_TRUE(percentDecode("%2541", &out));  // decoded once, not twice
  EXPECT_EQ(out, "%41");
  EXPECT_TRUE(percentDecode("x%41", &out));  // escape at the very end
  EXPECT_EQ(out, "xA");
}

TEST(HttpUtilTest, PercentDecodeBadEscapes) {
  std::string out;
  for (const char* bad :
       {"%", "%4", "a%", "a%4", "%%", "%%41", "%G0", "%0G", "% 1", "%-1", "ok%x", "%4%41"}) {
    EXPECT_FALSE(percentDecode(bad, &out)) << bad;
  }
}

TEST(HttpUtilTest, PercentDecodeClearsOutput) {
  std::string out = "stale";
  EXPECT_TRUE(percentDecode("new", &out));
  EXPECT_EQ(out, "new");
  out = "stale";
  EXPECT_TRUE(percentDecode("", &out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace ssegate::downstream
