// Gateway: the composition root. Builds the hub, the worker pool and the listeners from a
// Config, runs the main thread's signal loop, and tears everything down in order.
//
// Threads: the main thread owns the Gateway and runs its signal loop; the hub and each worker
// run on their own threads (DESIGN B2). Signals: SIGTERM/SIGINT stop accepting, close every
// stream and exit 0; a second signal exits at once.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "downstream/context.h"
#include "worker/hub.h"
#include "worker/shared_state.h"
#include "worker/worker.h"

namespace ssegate::app {

class Gateway {
 public:
  explicit Gateway(std::shared_ptr<const config::Config> config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Every feature the configuration asks for that this build cannot serve, as messages.
  static std::vector<std::string> unsupported(const config::Config& config);

  // Binds, starts the threads, blocks until a stop signal. Returns the process exit code.
  int run();

 private:
  bool openListeners();
  void stop();
  static void onSignal(uv_signal_t* handle, int signum);

  std::shared_ptr<const config::Config> config_;
  worker::SharedState shared_;
  std::shared_ptr<const downstream::DownstreamContext> ctx_;
  worker::Hub hub_;
  std::vector<std::unique_ptr<worker::Worker>> workers_;
  std::vector<std::vector<int>> listen_fds_;  // [worker][listener]
  uv_loop_t loop_{};
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  uv_signal_t sighup_{};
  int signals_seen_ = 0;
};

}  // namespace ssegate::app
