// The real ssegate binary as a child process: writes the YAML into a temp dir, starts
// `ssegate -c <dir>/ssegate.yaml --log-level info` (or $SSEGATE_IT_LOG_LEVEL) with stderr/stdout
// into <dir>/ssegate.log, waits (bounded) until the listener accepts, and stops it with SIGTERM.
//
// Owned by the test thread. problems() lists everything that must fail a test: a start that
// never listened, an early exit, a non-zero exit or a signal at stop, a stop that needed SIGKILL,
// and any sanitizer report in the log (tests are built with ASan+UBSan).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "harness/child_process.h"
#include "harness/gateway_config.h"
#include "harness/temp_dir.h"
#include "harness/wait.h"

namespace ssegate::integration {

class GatewayProcess {
 public:
  GatewayProcess(std::string binary, GatewayConfig config);
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  // Spawns and waits until 127.0.0.1:port accepts a connection (or the child dies), trying
  // every `poll` (0: as fast as connect() answers).
  bool start(Millis timeout = Millis(10000), Millis poll = Millis(20));
  // SIGTERM, then waits up to `timeout`; SIGKILL after that (recorded as a problem).
  ChildProcess::Exit stop(Millis timeout = Millis(15000));
  bool running() { return child_.running(); }
  bool signal(int signo) { return child_.signal(signo); }
  // Waits up to `timeout` for the process to end by itself (after a signal the test sent).
  std::optional<ChildProcess::Exit> waitExit(Millis timeout) { return child_.wait(timeout); }
  // Replaces the configuration file (for a SIGHUP reload); `config()` follows it.
  void rewriteConfig(const GatewayConfig& config);
  void rewriteConfigText(const std::string& yaml);
  pid_t pid() const { return child_.pid(); }

  uint16_t port() const { return config_.port; }
  const GatewayConfig& config() const { return config_; }
  TempDir& dir() { return dir_; }
  std::string log() const;
  // Empty when all is well; else one line per problem.
  std::string problems() const;

 private:
  std::string binary_;
  GatewayConfig config_;
  TempDir dir_;
  ChildProcess child_;
  std::string start_problem_;
  bool killed_ = false;
  bool stopped_ = false;
};

}  // namespace ssegate::integration
