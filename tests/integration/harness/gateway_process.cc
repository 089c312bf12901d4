#include "harness/gateway_process.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "harness/socket_util.h"

namespace ssegate::integration {

GatewayProcess::GatewayProcess(std::string binary, GatewayConfig config)
    : binary_(std::move(binary)), config_(config) {}

GatewayProcess::~GatewayProcess() {
  if (!stopped_ && child_.pid() > 0) stop(Millis(5000));
}

bool GatewayProcess::start(Millis timeout, Millis poll) {
  const std::string config_path = dir_.write("ssegate.yaml", config_.toYaml());
  // SSEGATE_IT_LOG_LEVEL=debug helps when chasing a failure; the contract level is info.
  const char* level = std::getenv("SSEGATE_IT_LOG_LEVEL");
  if (!child_.spawn({binary_, "-c", config_path, "--log-level", level != nullptr ? level : "info"},
                    dir_.file("ssegate.log"))) {
    start_problem_ = "cannot spawn " + binary_;
    return false;
  }
  const bool listening = waitUntil(
      [this] { return !child_.running() || canConnect(config_.port, 100); }, timeout, poll);
  if (!child_.running()) {
    start_problem_ = "ssegate exited during start-up (" + child_.exit()->describe() + ")";
    return false;
  }
  if (!listening) {
    start_problem_ = "ssegate did not accept on port " + std::to_string(config_.port) + " within " +
                     std::to_string(timeout.count()) + " ms";
    return false;
  }
  return true;
}

ChildProcess::Exit GatewayProcess::stop(Millis timeout) {
  stopped_ = true;
  if (child_.pid() <= 0) return {};
  if (child_.exit()) return *child_.exit();
  child_.signal(SIGTERM);
  if (auto exit = child_.wait(timeout)) return *exit;
  killed_ = true;
  return child_.kill();
}

void GatewayProcess::rewriteConfig(const GatewayConfig& config) {
  config_ = config;
  rewriteConfigText(config_.toYaml());
}

void GatewayProcess::rewriteConfigText(const std::string& yaml) {
  // Write then rename, so the gateway never reads a half-written file.
  dir_.write("ssegate.yaml.new", yaml);
  std::rename(dir_.file("ssegate.yaml.new").c_str(), dir_.file("ssegate.yaml").c_str());
}

std::string GatewayProcess::log() const {
  return readFile(dir_.file("ssegate.log"));
}

std::string GatewayProcess::problems() const {
  std::string p;
  if (!start_problem_.empty()) p += start_problem_ + "\n";
  if (killed_) p += "ssegate did not exit after SIGTERM; killed\n";
  if (child_.exit() && !killed_ && !(child_.exit()->exited && child_.exit()->code == 0)) {
    p += "ssegate ended with " + child_.exit()->describe() + " (expected exit code 0)\n";
  }
  const std::string text = log();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                             "UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer"}) {
    if (text.find(marker) != std::string::npos) {
      p += std::string("sanitizer report in the log: '") + marker + "'\n";
    }
  }
  return p;
}

}  // namespace ssegate::integration
