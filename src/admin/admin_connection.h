// AdminConnection: one HTTP/1.1 connection to the admin listener. Reads one request head
// (bounded: 8 KiB, 10 s), hands method and path to the AdminServer, writes the answer and
// closes, or stays open as a dashboard event stream.
//
// Thread: the main loop. Owner: itself (deleted after its handle closes); the server keeps a
// non-owning id -> pointer map and is told through forget().
#pragma once

#include <llhttp.h>
#include <uv.h>

#include <memory>
#include <string>

namespace ssegate::admin {

class AdminServer;

class AdminConnection {
 public:
  AdminConnection(AdminServer* server, uint64_t id);
  bool start(uv_stream_t* listener);

  uint64_t id() const { return id_; }
  bool streaming() const { return streaming_; }
  // Writes a full response and closes after it.
  void respond(int status, const std::string& content_type, const std::string& body);
  // Starts an SSE response that the server feeds with send().
  void startStream();
  void send(const std::string& bytes);
  void close();

 private:
  ~AdminConnection() = default;
  void write(std::string bytes, bool then_close);
  static void onAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onClosed(uv_handle_t* h);
  static int onUrl(llhttp_t* p, const char* at, size_t len);
  static int onHeadersComplete(llhttp_t* p);
  static void onTimeout(uv_timer_t* t);

  AdminServer* server_;
  uint64_t id_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  std::string url_;
  size_t head_bytes_ = 0;
  bool answered_ = false;
  bool streaming_ = false;
  bool closed_ = false;
  int pending_closes_ = 2;
  size_t queued_bytes_ = 0;
};

}  // namespace ssegate::admin
