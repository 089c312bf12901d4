// MuxSubscriber: a Subscriber whose stream is carried by a shared MuxConnection (TLS and/or
// HTTP/2, many streams per connection) instead of a TCP connection of its own.
//
// Owned by LoadGenerator like every Subscriber; loop thread only. The connection is shared by
// the `--streams-per-conn` subscribers that SubscriberFactory grouped on it (shared ownership;
// the connection never outlives the loop run, only its memory does). States as in Subscriber:
// kConnecting until the request is submitted on an open connection, kWaitingHead until the 200,
// kStreaming, then back to kIdle when closed (there is no close callback to wait for: the
// stream is just cancelled on the connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "subscriber.h"

namespace loadgen {

class MuxConnection;

class MuxSubscriber : public Subscriber {
 public:
  MuxSubscriber(LoadGenerator* generator, uint64_t index, uint64_t channel, std::string path,
                std::shared_ptr<MuxConnection> connection);

  void connect(const sockaddr_in* source) override;
  void close() override;

  // For MuxConnection.
  Http1Codec* http1Codec() { return &codec_; }
  const std::string& path() const { return codec_.path(); }
  int32_t stream_id = 0;  // HTTP/2 stream id while submitted, else 0
  // The request went out on an open connection.
  void onSubmitted();
  // The connection failed or the server closed the stream. `detail` as in Subscriber::fail.
  void onLost(const char* why, int detail);

 private:
  std::shared_ptr<MuxConnection> connection_;
};

}  // namespace loadgen
