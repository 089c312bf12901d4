#include "net/write_queue.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ssegate::net {
namespace {

// The stream the queue writes to, and the raw, non-blocking other end (the "peer", read directly
// by the test). Parameter false: a libuv pipe handle on one end of a socketpair (WriteQueue
// writes with uv_try_write); true: a libuv TCP handle on a loopback connection (WriteQueue
// writes with send()/sendmsg()).
class WriteQueueTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_NO_FATAL_FAILURE(openWriter());
  }

  bool tcp() const { return GetParam(); }

  // A fresh writer handle and peer.
  void openWriter() {
    int fds[2];
    if (tcp()) {
      ASSERT_NO_FATAL_FAILURE(tcpPair(fds));
    } else {
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    }
    writer_fd_ = fds[0];
    peer_ = fds[1];
    ASSERT_EQ(fcntl(peer_, F_SETFL, fcntl(peer_, F_GETFL) | O_NONBLOCK), 0);
    if (tcp()) {
      ASSERT_EQ(uv_tcp_init(&loop_, &tcp_), 0);
      ASSERT_EQ(uv_tcp_open(&tcp_, writer_fd_), 0);
    } else {
      ASSERT_EQ(uv_pipe_init(&loop_, &pipe_, 0), 0);
      ASSERT_EQ(uv_pipe_open(&pipe_, writer_fd_), 0);
    }
  }

  // A connected loopback TCP pair: fds[0] the client end, fds[1] the accepted end. The peer's
  // receive buffer is small, so that a few hundred KB fill the path as with the socketpair.
  static void tcpPair(int fds[2]) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    int small = 4096;
    ASSERT_EQ(setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(fds[0], reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    fds[1] = accept(listener, nullptr, nullptr);
    close(listener);
    ASSERT_GE(fds[1], 0);
  }

  uv_handle_t* handle() {
    return tcp() ? reinterpret_cast<uv_handle_t*>(&tcp_) : reinterpret_cast<uv_handle_t*>(&pipe_);
  }

  void TearDown() override {
    if (peer_ >= 0) close(peer_);
    uv_close(handle(), nullptr);
    // Only the closing pipe is left; this returns after its close callback (and a cancelled
    // write's callback, if one was in flight).
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // A small send buffer so that a few hundred KB fill the socket quickly.
  void shrinkSendBuffer() {
    int size = 4096;
    ASSERT_EQ(setsockopt(writer_fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
  }

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(handle()); }

  int flush() { return q_.flush(stream(), this, &WriteQueueTest::onDone); }

  static void onDone(void* owner, int status) {
    auto* self = static_cast<WriteQueueTest*>(owner);
    self->statuses_.push_back(status);
    EXPECT_FALSE(self->q_.writing()) << "writing() still true inside the done callback";
    // What a connection does: keep flushing until the queue is empty.
    if (status == 0 && self->reflush_ && !self->q_.empty()) {
      int r = self->flush();
      EXPECT_EQ(r, 0);
    }
  }

  // Reads everything the peer can read right now, appending to received_.
  size_t readPeer() {
    size_t total = 0;
    char buf[65536];
    for (;;) {
      ssize_t n = read(peer_, buf, sizeof buf);
      if (n <= 0) break;
      received_.append(buf, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
    }
    return total;
  }

  // Reads on the peer and steps the loop until `done` holds; bounded in iterations and time.
  bool pumpUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int i = 0; i < 1000000; ++i) {
      if (done()) return true;
      readPeer();
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (std::chrono::steady_clock::now() > deadline) break;
    }
    return done();
  }

  // Steps the loop without reading the peer.
  void stepWithoutReading(int turns) {
    for (int i = 0; i < turns; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  }

  static std::string pattern(size_t size, unsigned salt) {
    std::string s(size, '\0');
    for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + salt) % 26);
    return s;
  }

  uv_loop_t loop_{};
  uv_pipe_t pipe_{};
  uv_tcp_t tcp_{};
  int writer_fd_ = -1;
  int peer_ = -1;
  WriteQueue q_;
  std::vector<int> statuses_;
  bool reflush_ = true;
  std::string received_;
};

TEST_P(WriteQueueTest, BytesAccounting) {
  EXPECT_TRUE(q_.empty());
  EXPECT_EQ(q_.bytes(), 0u);
  EXPECT_FALSE(q_.writing());
  q_.appendCopy("hello");
  EXPECT_EQ(q_.bytes(), 5u);
  EXPECT_FALSE(q_.empty());
  auto buf = std::make_shared<std::string>(" world");
  q_.append(buf, *buf);
  EXPECT_EQ(q_.bytes(), 11u);
  // Empty appends are ignored (and do not keep their owner).
  auto empty = std::make_shared<std::string>();
  q_.append(empty, *empty);
  q_.appendCopy("");
  EXPECT_EQ(q_.bytes(), 11u);
  EXPECT_EQ(empty.use_count(), 1);
  // A view into the middle of a buffer counts only the view.
  auto big = std::make_shared<std::string>("0123456789");
  q_.append(big, std::string_view(*big).substr(2, 3));
  EXPECT_EQ(q_.bytes(), 14u);

  EXPECT_EQ(flush(), 0);
  EXPECT_EQ(q_.bytes(), 0u);
  EXPECT_TRUE(q_.empty());
  EXPECT_FALSE(q_.writing());
  readPeer();
  EXPECT_EQ(received_, "hello world234");
  // Written synchronously: no asynchronous write, so no done callback.
  stepWithoutReading(3);
  EXPECT_TRUE(statuses_.empty());
}

TEST_P(WriteQueueTest, FlushOfEmptyQueueDoesNothing) {
  EXPECT_EQ(flush(), 0);
  EXPECT_FALSE(q_.writing());
  stepWithoutReading(2);
  EXPECT_TRUE(statuses_.empty());
  EXPECT_EQ(readPeer(), 0u);
}

TEST_P(WriteQueueTest, AppendCopyOwnsItsBytes) {
  std::string source = "original";
  q_.appendCopy(source);
  source.assign("CHANGED!");
  EXPECT_EQ(flush(), 0);
  readPeer();
  EXPECT_EQ(received_, "original");
}

TEST_P(WriteQueueTest, SynchronousWriteReleasesOwners) {
  auto a = std::make_shared<std::string>("aaa");
  auto b = std::make_shared<std::string>("bbb");
  q_.append(a, *a);
  q_.append(b, *b);
  q_.append(a, *a);
  EXPECT_EQ(a.use_count(), 3);
  EXPECT_EQ(b.use_count(), 2);
  EXPECT_EQ(flush(), 0);
  EXPECT_EQ(a.use_count(), 1);
  EXPECT_EQ(b.use_count(), 1);
  readPeer();
  EXPECT_EQ(received_, "aaabbbaaa");
}

TEST_P(WriteQueueTest, PartialWriteWhenPeerDoesNotRead) {
  shrinkSendBuffer();
  const std::string data = pattern(1 << 20, 1);
  auto owner = std::make_shared<std::string>(data);
  q_.append(owner, *owner);
  ASSERT_EQ(flush(), 0);
  // The socket took some bytes synchronously and refused the rest.
  EXPECT_GT(q_.bytes(), 0u);
  EXPECT_LT(q_.bytes(), data.size());
  EXPECT_TRUE(q_.writing());
  // The segment is only partly written: its owner stays alive.
  EXPECT_EQ(owner.use_count(), 2);
  const size_t before = q_.bytes();
  stepWithoutReading(5);
  EXPECT_EQ(q_.bytes(), before);
  EXPECT_TRUE(statuses_.empty());
  // A second flush while a write is in flight starts nothing.
  EXPECT_EQ(flush(), 0);
  EXPECT_EQ(q_.bytes(), before);

  // bytes() never grows while the peer drains.
  size_t last = q_.bytes();
  bool monotonic = true;
  ASSERT_TRUE(pumpUntil([&] {
    if (q_.bytes() > last) monotonic = false;
    last = q_.bytes();
    return q_.empty() && !q_.writing();
  }));
  EXPECT_TRUE(monotonic);
  readPeer();
  EXPECT_EQ(received_.size(), data.size());
  EXPECT_TRUE(received_ == data) << "bytes reordered or corrupted";
  EXPECT_EQ(owner.use_count(), 1);
  ASSERT_FALSE(statuses_.empty());
  for (int s : statuses_) EXPECT_EQ(s, 0);
}

TEST_P(WriteQueueTest, AppendedBufferKeptAliveUntilWritten) {
  shrinkSendBuffer();
  q_.appendCopy(pattern(512 * 1024, 2));
  ASSERT_EQ(flush(), 0);
  ASSERT_TRUE(q_.writing());

  // Appended while a write is in flight; the caller drops its own reference at once.
  std::weak_ptr<std::string> weak;
  {
    auto tail = std::make_shared<std::string>("THE-TAIL");
    weak = tail;
    q_.append(tail, *tail);
    EXPECT_EQ(tail.use_count(), 2);
  }
  EXPECT_EQ(weak.use_count(), 1);
  EXPECT_EQ(flush(), 0);  // in flight: no-op
  stepWithoutReading(5);
  EXPECT_EQ(weak.use_count(), 1);

  ASSERT_TRUE(pumpUntil([&] { return q_.empty() && !q_.writing(); }));
  readPeer();
  EXPECT_TRUE(weak.expired());
  ASSERT_EQ(received_.size(), 512u * 1024 + 8);
  EXPECT_EQ(received_.substr(received_.size() - 8), "THE-TAIL");
  EXPECT_EQ(received_.substr(0, 512 * 1024), pattern(512 * 1024, 2));
}

TEST_P(WriteQueueTest, ManySegmentsWrittenInOrderSynchronously) {
  // More than the 64 iovecs of one writev: the queue loops over batches.
  std::vector<std::shared_ptr<std::string>> owners;
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    char buf[16];
    snprintf(buf, sizeof buf, "seg%04d\n", i);
    owners.push_back(std::make_shared<std::string>(buf));
    q_.append(owners.back(), *owners.back());
    expected += buf;
  }
  EXPECT_EQ(q_.bytes(), expected.size());
  ASSERT_EQ(flush(), 0);
  EXPECT_TRUE(q_.empty());
  EXPECT_FALSE(q_.writing());
  readPeer();
  EXPECT_EQ(received_, expected);
  for (const auto& o : owners) EXPECT_EQ(o.use_count(), 1);
}

TEST_P(WriteQueueTest, ManySegmentsWithPartialWrites) {
  shrinkSendBuffer();
  std::vector<std::shared_ptr<std::string>> owners;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    // Odd sizes so that partial writes end inside segments.
    auto s =
        std::make_shared<std::string>(std::to_string(i) + ":" + pattern(97 + i % 13, i) + "\n");
    owners.push_back(s);
    q_.append(s, *s);
    expected += *s;
  }
  EXPECT_EQ(q_.bytes(), expected.size());
  ASSERT_EQ(flush(), 0);
  EXPECT_TRUE(q_.writing());
  ASSERT_TRUE(pumpUntil([&] { return q_.empty() && !q_.writing(); }));
  readPeer();
  EXPECT_EQ(received_.size(), expected.size());
  EXPECT_TRUE(received_ == expected) << "bytes reordered or corrupted";
  // Each asynchronous write carries at most 64 segments, so several were needed.
  EXPECT_GT(statuses_.size(), 1u);
  for (int s : statuses_) EXPECT_EQ(s, 0);
  for (const auto& o : owners) EXPECT_EQ(o.use_count(), 1);
}

TEST_P(WriteQueueTest, AppendsDuringDrainArriveInOrder) {
  shrinkSendBuffer();
  std::string expected;
  for (int round = 0; round < 20; ++round) {
    std::string chunk = pattern(20000 + round, round);
    q_.appendCopy(chunk);
    expected += chunk;
    ASSERT_EQ(flush(), 0);
    readPeer();
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  ASSERT_TRUE(pumpUntil([&] { return q_.empty() && !q_.writing(); }));
  readPeer();
  EXPECT_TRUE(received_ == expected);
}

TEST_P(WriteQueueTest, DoneCallbackReportsWriteError) {
  shrinkSendBuffer();
  reflush_ = false;
  q_.appendCopy(pattern(1 << 20, 3));
  ASSERT_EQ(flush(), 0);
  ASSERT_TRUE(q_.writing());
  const size_t pending = q_.bytes();
  close(peer_);
  peer_ = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (statuses_.empty() && std::chrono::steady_clock::now() < deadline) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  ASSERT_EQ(statuses_.size(), 1u);
  EXPECT_LT(statuses_[0], 0) << uv_strerror(statuses_[0]);
  EXPECT_FALSE(q_.writing());
  // A failed write consumed nothing.
  EXPECT_EQ(q_.bytes(), pending);
}

TEST_P(WriteQueueTest, FlushReturnsErrorWhenPeerIsGone) {
  close(peer_);
  peer_ = -1;
  if (tcp()) {
    // TCP learns that the peer is gone from the RST its first bytes provoke.
    q_.appendCopy("first");
    ASSERT_EQ(flush(), 0);
    usleep(20 * 1000);
  }
  q_.appendCopy("data");
  int r = flush();
  EXPECT_LT(r, 0);
  EXPECT_TRUE(r == UV_EPIPE || r == UV_ECONNRESET) << uv_strerror(r);
  EXPECT_FALSE(q_.writing());
}

TEST_P(WriteQueueTest, ClearFreesEverything) {
  auto a = std::make_shared<std::string>("abc");
  q_.append(a, *a);
  q_.appendCopy("def");
  EXPECT_EQ(a.use_count(), 2);
  q_.clear();
  EXPECT_EQ(q_.bytes(), 0u);
  EXPECT_TRUE(q_.empty());
  EXPECT_EQ(a.use_count(), 1);
  EXPECT_EQ(flush(), 0);
  EXPECT_EQ(readPeer(), 0u);
  // Usable again after clear().
  q_.appendCopy("xyz");
  EXPECT_EQ(flush(), 0);
  readPeer();
  EXPECT_EQ(received_, "xyz");
}

TEST_P(WriteQueueTest, CloseWithWriteInFlightCancels) {
  shrinkSendBuffer();
  reflush_ = false;
  auto owner = std::make_shared<std::string>(pattern(1 << 20, 4));
  q_.append(owner, *owner);
  ASSERT_EQ(flush(), 0);
  ASSERT_TRUE(q_.writing());
  uv_close(handle(), nullptr);
  q_.clear();
  EXPECT_EQ(owner.use_count(), 1);
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_EQ(statuses_.size(), 1u);
  EXPECT_EQ(statuses_[0], UV_ECANCELED);
  EXPECT_EQ(q_.bytes(), 0u);
  EXPECT_FALSE(q_.writing());
  // TearDown closes the handle again; open a fresh one so that it has something to close.
  close(peer_);
  ASSERT_NO_FATAL_FAILURE(openWriter());
}

INSTANTIATE_TEST_SUITE_P(Streams, WriteQueueTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("Tcp") : std::string("Pipe");
                         });

}  // namespace
}  // namespace ssegate::net
