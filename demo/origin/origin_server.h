// OriginServer: the demo origin's listener, channels and connections (one loop, one thread).
//
// Owns every StreamConnection (deleted in its close callback) and every ChannelPublisher (created
// on a channel's first request, kept until the server is destroyed). stop() closes all handles;
// the loop then runs out and the server may be destroyed.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "channel_publisher.h"
#include "origin_options.h"

namespace demo {

class StreamConnection;

class OriginServer {
 public:
  OriginServer(uv_loop_t* loop, const OriginOptions& options);
  ~OriginServer();
  OriginServer(const OriginServer&) = delete;
  OriginServer& operator=(const OriginServer&) = delete;

  // Binds and listens; returns 0 or a libuv error code.
  int start();
  void stop();

  uv_loop_t* loop() const { return loop_; }
  bool quiet() const { return options_.quiet; }
  ChannelPublisher* channel(const std::string& name);
  void countRequest() { ++requests_; }
  void streamStarted();
  void streamEnded() { --streams_; }
  std::string statsJson() const;
  // From a connection's close callback: forgets and deletes it.
  void connectionClosed(StreamConnection* connection);

 private:
  static void onConnection(uv_stream_t* listener, int status);
  static void onSweep(uv_timer_t* timer);

  uv_loop_t* loop_;
  const OriginOptions& options_;
  uv_tcp_t listener_;
  uv_timer_t sweep_;
  bool stopped_ = false;
  std::unordered_map<std::string, std::unique_ptr<ChannelPublisher>> channels_;
  std::unordered_set<StreamConnection*> connections_;
  uint64_t requests_ = 0;
  uint64_t stream_requests_ = 0;
  uint64_t streams_ = 0;
  uint64_t max_streams_ = 0;
};

}  // namespace demo
