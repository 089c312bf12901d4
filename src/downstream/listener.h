// Listener: one listening socket on one worker's loop. Every worker gets its own socket on the
// same address (SO_REUSEPORT), so the kernel spreads new connections over the workers and no
// accept is handed across threads. A cleartext HTTP/1.1-only listener hands each connection
// straight to an Http1Connection; otherwise a ProtocolDetector picks HTTP/1.1 or HTTP/2. The
// Gateway opens the fds up front (so bind errors are reported at start-up); start() adopts one on
// the worker thread.
//
// Thread: its worker's loop. Owner: the Gateway's per-worker hook; close() deletes it later.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "downstream/context.h"
#include "downstream/listener_spec.h"
#include "worker/worker.h"

namespace ssegate::downstream {

class Listener {
 public:
  Listener(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx, int fd,
           std::shared_ptr<const ListenerSpec> spec);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Returns 0 or a libuv error.
  int start();
  // Stops accepting; the object deletes itself when the handle has closed.
  void close();
  // A reloaded configuration: new connections use `ctx`; existing ones keep theirs.
  void setContext(std::shared_ptr<const DownstreamContext> ctx) { ctx_ = std::move(ctx); }
  // A reloaded listener (protocols, TLS certificate): new connections use `spec`; existing ones
  // keep the spec (and TLS context) they were accepted with, which they hold a reference to.
  void setSpec(std::shared_ptr<const ListenerSpec> spec) { spec_ = std::move(spec); }

 private:
  ~Listener() = default;
  static void onConnection(uv_stream_t* server, int status);
  static void onClosed(uv_handle_t* h);

  worker::Worker& worker_;
  std::shared_ptr<const DownstreamContext> ctx_;
  int fd_;
  std::shared_ptr<const ListenerSpec> spec_;
  uv_tcp_t tcp_{};
};

}  // namespace ssegate::downstream
