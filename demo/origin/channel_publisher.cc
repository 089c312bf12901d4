#include "channel_publisher.h"

#include <time.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "stream_connection.h"

namespace demo {
namespace {

int64_t realtimeUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

Bytes makeChunk(const std::string& payload) {
  char head[24];
  int n = std::snprintf(head, sizeof(head), "%zx\r\n", payload.size());
  auto chunk = std::make_shared<std::string>();
  chunk->reserve(payload.size() + n + 2);
  chunk->append(head, n).append(payload).append("\r\n");
  return chunk;
}

ChannelPublisher::ChannelPublisher(uv_loop_t* loop, std::string name, const OriginOptions& options)
    : name_(std::move(name)),
      options_(options),
      t0_mono_ns_(uv_hrtime()),
      t0_real_us_(realtimeUs()),
      last_send_ns_(t0_mono_ns_) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  arm(t0_mono_ns_);
}

uint64_t ChannelPublisher::dueNs(uint64_t seq) const {
  return t0_mono_ns_ + static_cast<uint64_t>(static_cast<double>(seq) * 1e9 / options_.rate);
}

std::string ChannelPublisher::encode(uint64_t seq) const {
  int64_t ts_us =
      t0_real_us_ + static_cast<int64_t>(static_cast<double>(seq) * 1e6 / options_.rate);
  char head[160];
  int n = std::snprintf(head, sizeof(head),
                        "{\"channel\":\"%s\",\"seq\":%" PRIu64 ",\"ts_us\":%" PRId64 ",\"pad\":\"",
                        name_.c_str(), seq, ts_us);
  std::string data(head, n);
  size_t tail = 2;  // "}
  if (options_.size > data.size() + tail) data.append(options_.size - data.size() - tail, 'x');
  data.append("\"}");
  char id[32];
  int id_len = std::snprintf(id, sizeof(id), "id: %" PRIu64 "\ndata: ", seq);
  std::string event;
  event.reserve(id_len + data.size() + 2);
  event.append(id, id_len).append(data).append("\n\n");
  return event;
}

void ChannelPublisher::arm(uint64_t now_ns) {
  uint64_t due = dueNs(next_seq_);
  uint64_t delay_ms = due > now_ns ? (due - now_ns + 999999) / 1000000 : 0;
  uv_timer_start(&timer_, &ChannelPublisher::onTimerThunk, delay_ms, 0);
}

void ChannelPublisher::onTimerThunk(uv_timer_t* timer) {
  static_cast<ChannelPublisher*>(timer->data)->onTimer();
}

void ChannelPublisher::onTimer() {
  uint64_t now = uv_hrtime();
  std::string batch;
  while (dueNs(next_seq_) <= now) {
    std::string event = encode(next_seq_++);
    batch.append(event);
    history_.push_back(std::move(event));
    if (history_.size() > options_.history) history_.pop_front();
  }
  if (!batch.empty()) {
    broadcast(makeChunk(batch));
    last_send_ns_ = now;
  }
  arm(now);
}

void ChannelPublisher::broadcast(const Bytes& chunk) {
  // Backwards, because send() may close the connection, which swap-removes it from the vector.
  for (size_t i = subscribers_.size(); i-- > 0;) subscribers_[i]->send(chunk);
}

size_t ChannelPublisher::subscribe(StreamConnection* connection, const std::string* last_event_id) {
  // Subscribe first: the replay below may close the connection, which then unsubscribes.
  connection->setSubscriberIndex(subscribers_.size());
  subscribers_.push_back(connection);
  size_t replayed = 0;
  if (last_event_id != nullptr && !history_.empty()) {
    char* end = nullptr;
    unsigned long long id = std::strtoull(last_event_id->c_str(), &end, 10);
    uint64_t first = next_seq_ - history_.size();
    if (end != last_event_id->c_str() && *end == '\0' && id + 1 < next_seq_) {
      size_t skip = id + 1 > first ? id + 1 - first : 0;
      std::string text;
      for (size_t i = skip; i < history_.size(); ++i) text.append(history_[i]);
      replayed = history_.size() - skip;
      connection->send(makeChunk(text));
    }
  }
  return replayed;
}

void ChannelPublisher::unsubscribe(StreamConnection* connection) {
  size_t index = connection->subscriberIndex();
  if (index >= subscribers_.size() || subscribers_[index] != connection) return;
  subscribers_[index] = subscribers_.back();
  subscribers_[index]->setSubscriberIndex(index);
  subscribers_.pop_back();
}

void ChannelPublisher::keepalive(uint64_t now_ns) {
  if (now_ns - last_send_ns_ < static_cast<uint64_t>(options_.keepalive_s * 1e9)) return;
  static const Bytes kComment = makeChunk(":\n\n");
  broadcast(kComment);
  last_send_ns_ = now_ns;
}

void ChannelPublisher::close() {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

}  // namespace demo
