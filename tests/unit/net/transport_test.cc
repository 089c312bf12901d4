// Transport::inputPending(): true exactly while the peer's bytes sit in the kernel unread by the
// loop (what ProtocolDetector checks before closing a connection for request_header_timeout: a
// client whose bytes are queued behind the worker's backlog did its part).

#include "net/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <memory>
#include <string>

namespace ssegate::net {
namespace {

class Quiet : public Transport::Handler {
 public:
  void onTransportData(const char* data, size_t len) override { received.append(data, len); }
  void onTransportEnd(const char*) override {}
  void onTransportWritable() override {}
  void onTransportClosed() override { closed = true; }
  bool closed = false;
  std::string received;
};

struct Server {
  uv_tcp_t listener{};
  std::unique_ptr<Transport> accepted;
  uv_loop_t* loop = nullptr;
  Quiet handler;
};

TEST(TransportTest, InputPendingWhileThePeersBytesAreUnread) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  Server server;
  server.loop = &loop;
  ASSERT_EQ(uv_tcp_init(&loop, &server.listener), 0);
  server.listener.data = &server;
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  ASSERT_EQ(uv_tcp_bind(&server.listener, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
  ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&server.listener), 8,
                      [](uv_stream_t* s, int status) {
                        ASSERT_EQ(status, 0);
                        auto* srv = static_cast<Server*>(s->data);
                        srv->accepted = std::make_unique<Transport>(srv->loop, nullptr);
                        ASSERT_EQ(srv->accepted->accept(s), 0);
                        srv->accepted->setHandler(&srv->handler);  // never start(): no reads
                      }),
            0);
  int namelen = sizeof(addr);
  ASSERT_EQ(uv_tcp_getsockname(&server.listener, reinterpret_cast<sockaddr*>(&addr), &namelen), 0);

  int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  for (int i = 0; i < 1000 && !server.accepted; ++i) uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_TRUE(server.accepted);

  EXPECT_FALSE(server.accepted->inputPending()) << "nothing sent yet";
  const std::string hello = "\x16\x03\x01 a ClientHello, or a request head";
  ASSERT_EQ(send(client, hello.data(), hello.size(), 0), static_cast<ssize_t>(hello.size()));
  bool pending = false;
  for (int i = 0; i < 1000 && !pending; ++i) {
    pending = server.accepted->inputPending();
    if (!pending) usleep(1000);
  }
  EXPECT_TRUE(pending) << "the bytes are in the kernel and unread";
  // Once the loop has read them, nothing is pending.
  ASSERT_EQ(server.accepted->start(&server.handler), 0);
  for (int i = 0; i < 1000 && server.handler.received.size() < hello.size(); ++i) {
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  EXPECT_EQ(server.handler.received, hello);
  EXPECT_FALSE(server.accepted->inputPending());

  ::close(client);
  server.accepted->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&server.listener), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(server.handler.closed);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ssegate::net
