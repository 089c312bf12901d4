// A scripted SSE origin for integration tests: an HTTP/1.1 server on 127.0.0.1 that serves
// `GET /stream/<channel>` as text/event-stream and lets the test publish events, stop and
// restart the server on the same port, and script misbehaviour.
//
// Threads: one internal thread runs a poll(2) loop over the listener and the connections; every
// public method is thread-safe (one mutex) and may be called from the test thread.
// History: every publish() is appended to the channel's history, also while stopped. A request
// carrying Last-Event-ID gets the history after that id first (the whole history if the id is
// unknown); without Last-Event-ID it gets live events only, unless
// Options::replay_without_last_event_id. Replay and live publishing happen under the same lock,
// so a connection never misses nor repeats an event.
// Counters (keyed by request path, e.g. "/stream/a") survive stop()/start().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/socket_util.h"
#include "harness/wait.h"

namespace ssegate::integration {

class FakeOrigin {
 public:
  struct Options {
    bool chunked = true;  // false: close-delimited body (no Transfer-Encoding, Connection: close)
    bool replay_without_last_event_id = false;
  };

  // One request the origin received; header names are lower-cased.
  struct Request {
    std::string method;
    std::string target;
    std::string version;
    std::map<std::string, std::string> headers;
    Clock::time_point at;
  };

  FakeOrigin() : FakeOrigin(Options{}) {}
  explicit FakeOrigin(Options options);
  ~FakeOrigin();
  FakeOrigin(const FakeOrigin&) = delete;
  FakeOrigin& operator=(const FakeOrigin&) = delete;

  // Binds (port 0 the first time, the same port afterwards, SO_REUSEADDR) and starts serving.
  bool start();
  // Closes the listener and every connection abruptly (RST); history and counters stay.
  void stop();
  uint16_t port() const { return port_; }

  // Appends to the channel's history and writes to every open connection of the channel.
  // An empty id sends no "id:" line (and such an event cannot be a Last-Event-ID target).
  // `data` may contain '\n' (several data lines).
  void publish(const std::string& channel, const std::string& id, const std::string& data,
               const std::string& event_type = "");
  // Writes bytes as-is into every open stream of the channel (comments, odd framing); no history.
  void publishRaw(const std::string& channel, const std::string& bytes);

  // Writes bytes as-is into every open stream of the channel WITHOUT chunk framing (the test
  // frames them itself, or breaks the framing on purpose); no history.
  void writeUnframed(const std::string& channel, const std::string& bytes);
  // Closes every open stream of the channel with a FIN once its pending bytes are written,
  // without ending the body (no last chunk): an origin that disconnects mid-stream.
  void closeStreams(const std::string& channel);

  // Scripted behaviour of every new response on one path (see setScript()).
  struct Script {
    std::string greeting;               // body bytes sent first (framed), whatever the type
    bool close_after_greeting = false;  // then close with a FIN, without ending the body
  };
  // Applies `script` to new responses on `path`; Script{} restores normal behaviour.
  void setScript(const std::string& path, Script script);

  // Scripted misbehaviour for one path: answer with this status (and a short text body, then
  // close) instead of the stream; 0 restores normal behaviour.
  void setStatus(const std::string& path, int status);
  // Serve this Content-Type instead of text/event-stream on one path; "" restores it.
  void setContentType(const std::string& path, const std::string& content_type);

  // Connections whose request was for `path`: accepted in total, and currently open.
  size_t acceptedCount(const std::string& path) const;
  size_t openCount(const std::string& path) const;
  // Open connections that were answered 200 text/event-stream (serving events now).
  size_t openStreams(const std::string& path) const;
  size_t totalAccepted() const;
  std::vector<Request> requests(const std::string& path) const;
  // When the peer (the gateway) last closed a connection for `path`.
  std::optional<Clock::time_point> lastPeerCloseAt(const std::string& path) const;

  bool waitOpenCount(const std::string& path, size_t count, Millis timeout) const;
  bool waitAcceptedCount(const std::string& path, size_t count, Millis timeout) const;
  bool waitOpenStreams(const std::string& path, size_t count, Millis timeout) const;

 private:
  struct StoredEvent {
    std::string id;
    std::string wire;  // the encoded event, ready to frame
  };
  struct Connection {
    UniqueFd fd;
    std::string in;
    bool head_done = false;
    bool streaming = false;
    bool close_after_write = false;
    std::string path;
    std::string channel;
    std::string out;
  };
  struct PathStats {
    size_t accepted = 0;
    size_t open = 0;
    size_t open_streams = 0;
    std::vector<Request> requests;
    std::optional<Clock::time_point> last_peer_close;
  };

  void run();
  void wake();
  void acceptAll();
  void onReadable(Connection& c);
  void onHead(Connection& c);
  void flush(Connection& c);
  void closeConnection(Connection& c, bool by_peer);
  std::string frame(const std::string& bytes) const;
  static std::string encode(const std::string& id, const std::string& data,
                            const std::string& event_type);

  const Options options_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  UniqueFd listener_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Connection>> connections_;
  std::map<std::string, std::vector<StoredEvent>> history_;  // by channel
  std::map<std::string, PathStats> stats_;                   // by path
  std::map<std::string, int> status_override_;
  std::map<std::string, std::string> content_type_override_;
  std::map<std::string, Script> scripts_;
};

}  // namespace ssegate::integration
