// Gateway: the composition root. Builds the hub, the worker pool, the listeners and the admin
// server from a Config, runs the main thread's loop (signals, admin, drain), and tears
// everything down in order.
//
// Threads: the main thread owns the Gateway and runs its loop; the hub and each worker run on
// their own threads (DESIGN B2) and are reached only through their mailboxes.
// Signals (DESIGN A2): SIGHUP reloads the configuration (an invalid one is logged and the old
// one stays); SIGTERM/SIGINT drain: /readyz turns 503, listeners close, streams end with a
// jittered retry: spread over limits.drain_timeout, then exit 0; a second signal exits at once.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "app/memory_trimmer.h"
#include "base/mailbox.h"
#include "base/metrics.h"
#include "config/config.h"
#include "downstream/context.h"
#include "downstream/listener.h"
#include "downstream/listener_spec.h"
#include "worker/hub.h"
#include "worker/shared_state.h"
#include "worker/worker.h"

namespace ssegate::app {

class Gateway {
 public:
  Gateway(std::shared_ptr<const config::Config> config, std::string config_path);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // What `ssegate -t` and a reload check beyond the loader: the files the configuration names
  // (TLS certificates and keys, CA files, JWT keys) load and fit. One message per problem.
  static std::vector<std::string> preflight(std::shared_ptr<const config::Config> config);

  // Binds, starts the threads, blocks until stopped. Returns the process exit code.
  int run();

 private:
  struct WorkerListeners {
    // Touched only on that worker's thread. index[k] is the specs_ / listen_addresses_ index of
    // listeners[k] (a listener that failed to start is absent).
    std::vector<downstream::Listener*> listeners;
    std::vector<size_t> index;
  };

  // nullptr (and the reason in *error) when the configuration cannot be served, e.g. an
  // unreadable JWT key file: start-up then fails and a reload is rejected.
  std::shared_ptr<const downstream::DownstreamContext> makeContext(
      std::shared_ptr<const config::Config> config, std::string* error);
  bool openListeners();
  // The spec of one configured listener, with its TLS context loaded from the files now (so a
  // reload re-reads certificates at the same paths). nullptr and *error when a file is bad.
  static std::shared_ptr<downstream::ListenerSpec> makeSpec(const config::Listener& l,
                                                            std::string* protocols,
                                                            std::string* error);
  void reload();
  void beginDrain();
  void checkDrain();
  void finish();
  // Closes the signal handles and the drain timer (the loop must run once more).
  void closeSignalHandles();
  static void onSignal(uv_signal_t* handle, int signum);
  static void onDrainTimer(uv_timer_t* handle);

  std::string config_path_;
  std::shared_ptr<const config::Config> config_;
  worker::SharedState shared_;
  std::shared_ptr<const downstream::DownstreamContext> ctx_;
  worker::Hub hub_;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  std::vector<std::shared_ptr<WorkerListeners>> listeners_;             // [worker]
  std::vector<std::vector<int>> listen_fds_;                            // [worker][listener]
  std::vector<std::shared_ptr<const downstream::ListenerSpec>> specs_;  // [listener]
  std::vector<config::Address> listen_addresses_;  // [listener], as bound at start-up
  uv_loop_t loop_{};
  Mailbox mailbox_;
  std::unique_ptr<admin::AdminServer> admin_;
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  uv_signal_t sighup_{};
  uv_timer_t drain_timer_{};
  // Free heap pages back to the kernel after connections arrive (see MemoryTrimmer).
  MemoryTrimmer trimmer_{&loop_, &shared_.accepted, 1000, &metrics().tls_handshakes};
  int stop_signals_ = 0;
  uint64_t drain_started_ms_ = 0;
  bool finished_ = false;
};

}  // namespace ssegate::app
