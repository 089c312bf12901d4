// SubscriberFactory: makes the Subscriber for each subscriber index of one LoadGenerator.
//
// Plain http:// without --h2 gives the classic Subscriber (one TCP connection each). https://
// (TLS, HTTP/1.1 through ALPN) and --h2 give MuxSubscribers on MuxConnections: one connection
// per subscriber for HTTP/1.1 over TLS, and for HTTP/2 one per `streams_per_conn` consecutive
// subscribers of this process (so a connection's streams open one by one as the ramp reaches
// them). Used once, in the LoadGenerator constructor; loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "subscriber.h"

namespace loadgen {

class LoadGenerator;
class MuxConnection;

class SubscriberFactory {
 public:
  explicit SubscriberFactory(LoadGenerator* generator) : generator_(generator) {}

  std::unique_ptr<Subscriber> make(uint64_t index, uint64_t channel, std::string path);

 private:
  LoadGenerator* generator_;
  std::shared_ptr<MuxConnection> connection_;  // the one being filled
  uint64_t on_connection_ = 0;                 // streams assigned to it so far
};

}  // namespace loadgen
