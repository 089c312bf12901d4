#include "channel/encoded_event.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace ssegate::channel {
namespace {

TEST(EncodedEventTest, ChunkedIsHexLengthPayloadCrlf) {
  auto e = EncodedEvent::make("7", "data: hello\n\n", 3, 42);
  EXPECT_EQ(e->chunked(), "d\r\ndata: hello\n\n\r\n");
  EXPECT_EQ(e->payload(), "data: hello\n\n");
  EXPECT_EQ(e->id(), "7");
  EXPECT_EQ(e->seq(), 3u);
  EXPECT_EQ(e->receivedUs(), 42);
}

TEST(EncodedEventTest, DefaultsForFrames) {
  auto e = EncodedEvent::make("", ": keepalive\n");
  EXPECT_EQ(e->id(), "");
  EXPECT_EQ(e->seq(), 0u);
  EXPECT_EQ(e->receivedUs(), 0);
  EXPECT_EQ(e->chunked(), "c\r\n: keepalive\n\r\n");
}

TEST(EncodedEventTest, EmptyPayload) {
  auto e = EncodedEvent::make("x", "");
  EXPECT_EQ(e->chunked(), "0\r\n\r\n");
  EXPECT_EQ(e->payload(), "");
}

TEST(EncodedEventTest, HexLengthIsLowercaseAndMultiDigit) {
  for (size_t len : {1u, 9u, 10u, 15u, 16u, 255u, 256u, 4095u, 65536u, 1048577u}) {
    std::string payload(len, 'a');
    payload[0] = 'B';
    payload[len - 1] = 'Z';
    auto e = EncodedEvent::make("", payload);
    char head[32];
    snprintf(head, sizeof head, "%zx\r\n", len);
    std::string expected = head + payload + "\r\n";
    EXPECT_EQ(e->chunked(), expected) << len;
    EXPECT_EQ(e->payload(), payload) << len;
  }
  EXPECT_EQ(EncodedEvent::make("", std::string(0xab, 'q'))->chunked().substr(0, 4), "ab\r\n");
}

TEST(EncodedEventTest, PayloadIsAViewIntoChunked) {
  auto e = EncodedEvent::make("1", "data: x\n\n");
  std::string_view chunked = e->chunked();
  std::string_view payload = e->payload();
  // Same buffer: the payload view lies inside the chunked bytes, after the size line.
  EXPECT_EQ(payload.data(), chunked.data() + 3);
  EXPECT_EQ(payload.data() + payload.size() + 2, chunked.data() + chunked.size());
}

TEST(EncodedEventTest, BinaryAndCrlfPayloadPassThrough) {
  std::string payload("a\0b\r\nc", 6);
  auto e = EncodedEvent::make("", payload);
  EXPECT_EQ(e->payload(), payload);
  EXPECT_EQ(e->chunked(), std::string("6\r\n") + payload + "\r\n");
}

TEST(EncodedEventTest, SharedAcrossOwners) {
  auto e = EncodedEvent::make("id", "p");
  EncodedEventPtr copy = e;
  EXPECT_EQ(e.use_count(), 2);
  e.reset();
  EXPECT_EQ(copy->payload(), "p");
}

}  // namespace
}  // namespace ssegate::channel
