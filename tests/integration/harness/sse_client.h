// One downstream client connection to the gateway: sends a request (or raw bytes), parses the
// HTTP/1.x response head, de-chunks the body and parses it as an event stream.
//
// Single-threaded: owned and driven by one test thread, either through its own blocking helpers
// (waitHead/waitEvents/... each a bounded poll loop on this one fd) or by a driver such as
// ClientFleet that polls many clients and calls onPoll(). A client that is not pumped does not
// read: that is how a test simulates a slow subscriber (with a small Options::rcvbuf so that
// the kernel buffers little). The connect is non-blocking and the request is queued until the
// connect completes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/http_response_parser.h"
#include "harness/socket_util.h"
#include "harness/sse_parser.h"
#include "harness/wait.h"

namespace ssegate::integration {

using Headers = std::vector<std::pair<std::string, std::string>>;

class SseClient {
 public:
  struct Options {
    int rcvbuf = 0;                    // > 0: SO_RCVBUF set before connect
    size_t max_body_bytes = 1u << 20;  // body() keeps at most this much (parser sees all)
    size_t max_event_data = SIZE_MAX;  // each event keeps at most this much data
  };

  explicit SseClient(uint16_t port) : SseClient(port, Options{}) {}
  SseClient(uint16_t port, Options options);

  // Queues "GET target version" with Host and the given headers.
  void get(std::string_view target, const Headers& headers = {},
           std::string_view version = "HTTP/1.1");
  // Queues raw bytes, sent in order once connected.
  void sendRaw(std::string_view bytes);

  // Driver interface: the fd, the poll(2) events of interest, and the handler for revents.
  int fd() const { return fd_.get(); }
  short pollEvents() const;
  void onPoll(short revents);

  // Bounded waits that poll this client only. Each returns the condition's final value.
  bool pumpUntil(const std::function<bool()>& done, Millis timeout);
  bool waitHead(Millis timeout = Millis(5000));
  bool waitEvents(size_t count, Millis timeout = Millis(5000));
  bool waitComments(size_t count, Millis timeout = Millis(5000));
  bool waitClosed(Millis timeout = Millis(5000));

  bool headComplete() const;
  int status() const { return response_.status(); }
  std::string header(std::string_view name) const { return response_.header(name); }
  const HttpResponseParser& response() const { return response_; }
  const SseParser& sse() const { return sse_; }
  const std::vector<SseEvent>& events() const { return sse_.events(); }
  const std::string& body() const { return body_; }
  size_t bodyBytes() const { return body_bytes_; }
  // The kernel's receive time (SO_TIMESTAMPNS, on the steady clock) of the last bytes read;
  // events() and sse().comments() carry the same time as `at`.
  Clock::time_point lastReadAt() const { return last_read_at_; }

  // The connection is gone: EOF, reset, or a failed connect. closeError() is 0 for a clean EOF.
  bool closed() const { return closed_; }
  int closeError() const { return close_error_; }
  bool connectFailed() const { return connect_failed_; }

  // Closes now with a FIN (the gateway sees a normal close).
  void close();
  // A one-line summary for assertion messages: status, events, bytes, close reason.
  std::string describe() const;

 private:
  void finishConnect();
  void writePending();
  void readAvailable();
  void markClosed(int error);

  Options options_;
  UniqueFd fd_;
  bool connecting_ = true;
  bool connect_failed_ = false;
  bool closed_ = false;
  int close_error_ = 0;
  std::string out_;
  HttpResponseParser response_;
  SseParser sse_;
  std::string body_;
  size_t body_bytes_ = 0;
  std::string scratch_;  // de-chunked bytes of one read, before they reach body_/sse_
  Clock::time_point last_read_at_{};
};

}  // namespace ssegate::integration
