// ProtocolDetector: a downstream connection before its protocol is known. Over TLS it waits for
// the handshake and reads ALPN ("h2" -> HTTP/2, otherwise HTTP/1.1 if the listener allows it);
// in cleartext it looks at the first bytes for the HTTP/2 client preface (h2c with prior
// knowledge), otherwise HTTP/1.1. Then it hands the transport and the bytes read so far to an
// Http1Connection or Http2Connection and goes away.
//
// State: kDetecting --decided--> handed over (deleted) | --timeout/peer gone--> kClosed.
// The handshake and the first bytes must arrive within limits.request_header_timeout.
// Thread: its worker's loop. Owner: itself.
#pragma once

#include <memory>
#include <string>

#include "downstream/context.h"
#include "downstream/listener_spec.h"
#include "net/transport.h"
#include "worker/worker.h"
#include "worker/worker_connection.h"

namespace ssegate::downstream {

class ProtocolDetector final : public worker::WorkerConnection, public net::Transport::Handler {
 public:
  ProtocolDetector(worker::Worker& worker, std::shared_ptr<const DownstreamContext> ctx,
                   std::shared_ptr<const ListenerSpec> spec, int reject_status);
  ProtocolDetector(const ProtocolDetector&) = delete;
  ProtocolDetector& operator=(const ProtocolDetector&) = delete;

  // Accepts the pending connection of `server` and starts reading. Owns the connection's
  // SharedState count until it hands the transport over (or releases it on close).
  void start(uv_stream_t* server);

  // WorkerConnection
  void flush() override;
  void onSweep(int64_t now_ms) override;
  void shutdown() override { close("worker stopping"); }
  void drainAt(int64_t) override { close("draining"); }
  void onReload(const config::Config&, int64_t) override {}
  // Transport::Handler
  void onTransportData(const char* data, size_t len) override;
  void onTransportEnd(const char* reason) override { close(reason); }
  void onTransportWritable() override;
  void onTransportClosed() override;

 private:
  enum class State { kDetecting, kClosed };
  ~ProtocolDetector() override = default;
  void handOver(bool http2);
  void close(const char* reason);

  worker::Worker& worker_;
  std::shared_ptr<const DownstreamContext> ctx_;
  std::shared_ptr<const ListenerSpec> spec_;
  int reject_status_;
  State state_ = State::kDetecting;
  std::unique_ptr<net::Transport> transport_;
  std::string buffered_;
  int64_t since_ms_ = 0;
};

}  // namespace ssegate::downstream
