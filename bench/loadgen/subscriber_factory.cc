#include "subscriber_factory.h"

#include "load_generator.h"
#include "mux_connection.h"
#include "mux_subscriber.h"

namespace loadgen {

std::unique_ptr<Subscriber> SubscriberFactory::make(uint64_t index, uint64_t channel,
                                                    std::string path) {
  const Options& options = generator_->options();
  if (!options.tls && !options.h2) {
    return std::make_unique<Subscriber>(generator_, index, channel, std::move(path));
  }
  uint64_t per_connection = options.h2 ? options.streams_per_conn : 1;
  if (!connection_ || on_connection_ >= per_connection) {
    connection_ = std::make_shared<MuxConnection>(generator_);
    on_connection_ = 0;
  }
  ++on_connection_;
  return std::make_unique<MuxSubscriber>(generator_, index, channel, std::move(path), connection_);
}

}  // namespace loadgen
