#include "net/tcp_dialer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

namespace ssegate::net {
namespace {

// Records every event in order; owns the dialer the way UpstreamConnection does.
class Recorder : public TcpDialer::Events {
 public:
  explicit Recorder(uv_loop_t* loop) : dialer(loop, this) {}

  void onDialed(int status, const char* step) override {
    log.push_back(status == 0 ? "dialed" : std::string("failed:") + step);
    if (status != 0 && close_on_failure) dialer.close();
    if (status == 0 && !to_send.empty()) {
      EXPECT_EQ(dialer.write(to_send), 0);
      EXPECT_EQ(dialer.startReading(buffer, sizeof(buffer)), 0);
    }
  }
  void onTimer() override {
    log.push_back("timer");
    dialer.close();
  }
  void onRead(ssize_t nread, const char* data) override {
    if (nread > 0) {
      received.append(data, static_cast<size_t>(nread));
    } else {
      log.push_back(nread == UV_EOF ? "eof" : "read error");
      dialer.close();
    }
  }
  void onWriteFailed(int) override { log.push_back("write failed"); }
  void onClosed() override { log.push_back("closed"); }

  TcpDialer dialer;
  std::vector<std::string> log;
  std::string to_send;
  std::string received;
  bool close_on_failure = true;
  char buffer[256];
};

// A listening socket on 127.0.0.1 with an ephemeral port (accepting is up to the test).
struct Listener {
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd, 4), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  int fd = -1;
  uint16_t port = 0;
};

class TcpDialerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }
  uv_loop_t loop_;
};

TEST_F(TcpDialerTest, ConnectsWritesReadsAndClosesOnce) {
  Listener server;
  Recorder r(&loop_);
  r.to_send = "ping";
  r.dialer.dial("127.0.0.1", server.port, 5000);
  // Run until connected and the request is written, then answer from the server side.
  while (r.log.empty()) uv_run(&loop_, UV_RUN_ONCE);
  ASSERT_EQ(r.log, std::vector<std::string>{"dialed"});
  int peer = accept(server.fd, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  char got[4];
  ASSERT_EQ(read(peer, got, sizeof(got)), 4);
  EXPECT_EQ(std::string(got, 4), "ping");
  ASSERT_EQ(write(peer, "pong", 4), 4);
  ::close(peer);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.received, "pong");
  EXPECT_EQ(r.log, (std::vector<std::string>{"dialed", "eof", "closed"}));
}

TEST_F(TcpDialerTest, RefusedConnectReportsTheStep) {
  uint16_t port;
  {
    Listener gone;  // a port that was just free: nothing listens there once it closes
    port = gone.port;
  }
  Recorder r(&loop_);
  r.dialer.dial("127.0.0.1", port, 5000);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.log, (std::vector<std::string>{"failed:connect", "closed"}));
}

TEST_F(TcpDialerTest, UnresolvableHostReportsResolve) {
  Recorder r(&loop_);
  r.dialer.dial("no-such-host.invalid", 80, 5000);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.log, (std::vector<std::string>{"failed:resolve", "closed"}));
}

TEST_F(TcpDialerTest, TimerFiresWhileTheServerNeverAnswers) {
  Listener server;  // accepts in the kernel backlog, never replies
  Recorder r(&loop_);
  r.to_send = "hello";
  r.dialer.dial("127.0.0.1", server.port, 5000);
  while (r.log.empty()) uv_run(&loop_, UV_RUN_ONCE);
  r.dialer.armTimer(20);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.log, (std::vector<std::string>{"dialed", "timer", "closed"}));
}

TEST_F(TcpDialerTest, CloseBeforeDialStillReportsClosedFromTheLoop) {
  Recorder r(&loop_);
  r.dialer.close();
  EXPECT_TRUE(r.log.empty()) << "onClosed must not run inside close()";
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.log, std::vector<std::string>{"closed"});
}

TEST_F(TcpDialerTest, CloseWhileConnectingSuppressesTheOutcome) {
  Listener server;
  Recorder r(&loop_);
  r.dialer.dial("127.0.0.1", server.port, 5000);
  r.dialer.close();  // before the loop ever ran the connect callback
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(r.log, std::vector<std::string>{"closed"});
}

}  // namespace
}  // namespace ssegate::net
