#include "app/gateway.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "downstream/listener.h"
#include "net/address.h"

namespace ssegate::app {

namespace {
int64_t sweepInterval(const config::Config& c) {
  int64_t ms = 1000;
  for (const auto& r : c.routes) ms = std::min<int64_t>(ms, r.keepalive_interval.count() / 4);
  ms = std::min<int64_t>(ms, c.limits.request_header_timeout.count() / 4);
  return std::max<int64_t>(ms, 25);
}
}  // namespace

Gateway::Gateway(std::shared_ptr<const config::Config> config) : config_(std::move(config)) {
  auto ctx = std::make_shared<downstream::DownstreamContext>();
  ctx->config = config_;
  ctx->router = std::make_shared<downstream::Router>(*config_);
  ctx->shared = &shared_;
  ctx->sweep_interval_ms = sweepInterval(*config_);
  ctx_ = ctx;
  uv_loop_init(&loop_);
}

Gateway::~Gateway() { uv_loop_close(&loop_); }

std::vector<std::string> Gateway::unsupported(const config::Config& c) {
  std::vector<std::string> out;
  for (const auto& l : c.listeners) {
    if (l.tls) out.push_back("listener " + l.address.text + ": tls is not supported by this build");
    for (auto p : l.protocols) {
      if (p != config::Protocol::kHttp1) {
        out.push_back("listener " + l.address.text + ": only http1 is supported by this build");
        break;
      }
    }
  }
  for (const auto& [name, u] : c.upstreams) {
    if (u.https) out.push_back("upstream " + name + ": https is not supported by this build");
  }
  for (const auto& r : c.routes) {
    if (r.auth != config::AuthMode::kNone) {
      out.push_back("route " + r.path + ": auth is not supported by this build");
    }
  }
  if (c.identity.jwt || c.identity.auth_request || !c.identity.trusted_header.empty()) {
    out.push_back("identity is not supported by this build");
  }
  return out;
}

bool Gateway::openListeners() {
  size_t n = workers_.size();
  listen_fds_.assign(n, {});
  for (const auto& l : config_->listeners) {
    for (size_t w = 0; w < n; ++w) {
      auto fd = net::openListenSocket(l.address.host, l.address.port, 4096);
      if (!fd) {
        LOG_ERROR("gateway", "cannot listen on " << l.address.text << ": " << strerror(errno));
        return false;
      }
      listen_fds_[w].push_back(*fd);
    }
    LOG_INFO("gateway", "listening on " << l.address.text << " (http1)");
  }
  return true;
}

int Gateway::run() {
  uint32_t n = config_->workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (uint32_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<worker::Worker>(static_cast<int>(i), &hub_,
                                                        ctx_->sweep_interval_ms));
  }
  if (!openListeners()) {
    for (auto& fds : listen_fds_) {
      for (int fd : fds) ::close(fd);
    }
    return 1;
  }
  std::vector<worker::Worker*> raw;
  for (auto& w : workers_) raw.push_back(w.get());
  hub_.setWorkers(raw);
  hub_.start();

  for (size_t i = 0; i < workers_.size(); ++i) {
    auto listeners = std::make_shared<std::vector<downstream::Listener*>>();
    std::vector<int> fds = listen_fds_[i];
    auto ctx = ctx_;
    workers_[i]->start(
        [listeners, fds, ctx](worker::Worker& w) {
          for (int fd : fds) {
            auto* l = new downstream::Listener(w, ctx, fd, "listener");
            if (l->start() == 0) listeners->push_back(l);
          }
        },
        [listeners](worker::Worker&) {
          for (auto* l : *listeners) l->close();
          listeners->clear();
        });
  }
  LOG_INFO("gateway", "started with " << n << " workers, " << config_->routes.size()
                                      << " routes");

  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  uv_signal_init(&loop_, &sighup_);
  sigterm_.data = sigint_.data = sighup_.data = this;
  uv_signal_start(&sigterm_, &Gateway::onSignal, SIGTERM);
  uv_signal_start(&sigint_, &Gateway::onSignal, SIGINT);
  uv_signal_start(&sighup_, &Gateway::onSignal, SIGHUP);
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

void Gateway::onSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Gateway*>(handle->data);
  if (signum == SIGHUP) {
    LOG_WARN("gateway", "SIGHUP: configuration reload is not supported by this build; ignored");
    return;
  }
  if (++self->signals_seen_ > 1) {
    LOG_WARN("gateway", "second stop signal: exiting now");
    _exit(0);
  }
  LOG_INFO("gateway", (signum == SIGTERM ? "SIGTERM" : "SIGINT")
                          << ": closing listeners and streams");
  self->stop();
}

void Gateway::stop() {
  shared_.draining.store(true);
  // Workers first: they stop accepting, close their streams and give back their interest.
  for (auto& w : workers_) w->stop();
  hub_.stop();
  // Keep SIGTERM/SIGINT armed while stopping so a second signal still exits at once; the
  // loop ends when the handles are closed.
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sighup_), nullptr);
  LOG_INFO("gateway", "stopped");
}

}  // namespace ssegate::app
