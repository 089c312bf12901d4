#include "app/gateway.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "config/config_loader.h"
#include "net/address.h"

namespace ssegate::app {

namespace {
int64_t sweepInterval(const config::Config& c) {
  int64_t ms = 1000;
  for (const auto& r : c.routes) ms = std::min<int64_t>(ms, r.keepalive_interval.count() / 4);
  ms = std::min<int64_t>(ms, c.limits.request_header_timeout.count() / 4);
  return std::max<int64_t>(ms, 25);
}

bool sameAddress(const config::Address& a, const config::Address& b) {
  return a.host == b.host && a.port == b.port;
}

bool sameListeners(const std::vector<config::Address>& running, const config::Config& b) {
  if (running.size() != b.listeners.size()) return false;
  for (size_t i = 0; i < running.size(); ++i) {
    if (!sameAddress(running[i], b.listeners[i].address)) return false;
  }
  return true;
}
}  // namespace

Gateway::Gateway(std::shared_ptr<const config::Config> config, std::string config_path)
    : config_path_(std::move(config_path)), config_(std::move(config)) {
  std::string error;
  ctx_ = makeContext(config_, &error);
  if (!ctx_) LOG_ERROR("gateway", "cannot start: " << error);  // run() then returns 1
  uv_loop_init(&loop_);
}

Gateway::~Gateway() {
  uv_loop_close(&loop_);
}

std::shared_ptr<const downstream::DownstreamContext> Gateway::makeContext(
    std::shared_ptr<const config::Config> config, std::string* error) {
  auto ctx = std::make_shared<downstream::DownstreamContext>();
  ctx->config = config;
  ctx->router = std::make_shared<downstream::Router>(*config);
  ctx->shared = &shared_;
  // The sweep interval is fixed at start-up (workers' timers); a reload keeps it.
  ctx->sweep_interval_ms = ctx_ ? ctx_->sweep_interval_ms : sweepInterval(*config);
  if (!ctx->buildIdentity(error)) return nullptr;  // e.g. an unreadable JWT key file
  return ctx;
}

std::vector<std::string> Gateway::preflight(std::shared_ptr<const config::Config> config) {
  std::vector<std::string> out;
  const config::Config& c = *config;
  std::string error;
  for (const auto& l : c.listeners) {
    if (l.tls && !net::TlsContext::createServer(l.tls->certificate, l.tls->private_key,
                                                {"h2", "http/1.1"}, &error)) {
      out.push_back("listener " + l.address.text + ": " + error);
    }
  }
  for (const auto& [name, u] : c.upstreams) {
    if (u.https && !net::TlsContext::createClient(u.tls.verify, u.tls.ca_file, &error)) {
      out.push_back("upstream " + name + ": " + error);
    }
  }
  downstream::DownstreamContext probe;
  probe.config = config;
  if (!probe.buildIdentity(&error)) out.push_back(error);
  return out;
}

std::shared_ptr<downstream::ListenerSpec> Gateway::makeSpec(const config::Listener& l,
                                                            std::string* protocols,
                                                            std::string* error) {
  auto spec = std::make_shared<downstream::ListenerSpec>();
  spec->name = "listener " + l.address.text;
  spec->http1 = false;
  std::vector<std::string> alpn;
  protocols->clear();
  for (config::Protocol p : l.protocols) {
    if (p == config::Protocol::kHttp1) {
      spec->http1 = true;
      alpn.push_back("http/1.1");
    } else {
      spec->http2 = true;  // h2 with tls, h2c without
      alpn.push_back("h2");
    }
    *protocols +=
        (protocols->empty() ? "" : ", ") + std::string(p == config::Protocol::kHttp1 ? "http1"
                                                       : l.tls                       ? "h2"
                                                                                     : "h2c");
  }
  if (l.tls) {
    spec->tls = net::TlsContext::createServer(l.tls->certificate, l.tls->private_key,
                                              std::move(alpn), error);
    if (!spec->tls) return nullptr;
  }
  return spec;
}

bool Gateway::openListeners() {
  size_t n = workers_.size();
  listen_fds_.assign(n, {});
  specs_.clear();
  listen_addresses_.clear();
  for (const auto& l : config_->listeners) {
    std::string protocols;
    std::string error;
    auto spec = makeSpec(l, &protocols, &error);
    if (!spec) {
      LOG_ERROR("gateway", "listener " << l.address.text << ": " << error);
      return false;
    }
    specs_.push_back(spec);
    listen_addresses_.push_back(l.address);
    for (size_t w = 0; w < n; ++w) {
      auto fd = net::openListenSocket(l.address.host, l.address.port, 4096);
      if (!fd) {
        LOG_ERROR("gateway", "cannot listen on " << l.address.text << ": " << strerror(errno));
        return false;
      }
      listen_fds_[w].push_back(*fd);
    }
    LOG_INFO("gateway", "listening on " << l.address.text << " (" << protocols
                                        << (l.tls ? ", tls" : "") << ")");
  }
  return true;
}

int Gateway::run() {
  if (!ctx_) return 1;  // the constructor logged why
  // Signal handlers before the listening sockets exist: once they do, clients (and scripts that
  // wait for the port) may connect and send SIGHUP or SIGTERM, which must not take the default
  // action (terminate). libuv holds a signal until the loop runs.
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  uv_signal_init(&loop_, &sighup_);
  uv_timer_init(&loop_, &drain_timer_);
  sigterm_.data = sigint_.data = sighup_.data = drain_timer_.data = this;
  uv_signal_start(&sigterm_, &Gateway::onSignal, SIGTERM);
  uv_signal_start(&sigint_, &Gateway::onSignal, SIGINT);
  uv_signal_start(&sighup_, &Gateway::onSignal, SIGHUP);
  uint32_t n = config_->workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (uint32_t i = 0; i < n; ++i) {
    workers_.push_back(
        std::make_unique<worker::Worker>(static_cast<int>(i), &hub_, ctx_->sweep_interval_ms));
  }
  if (!openListeners()) {
    for (auto& fds : listen_fds_) {
      for (int fd : fds) ::close(fd);
    }
    closeSignalHandles();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 1;
  }
  mailbox_.open(&loop_);
  if (config_->admin) {
    admin_ = std::make_unique<admin::AdminServer>(&loop_, &mailbox_, &hub_, &shared_);
    int r = admin_->start(config_->admin->address.host, config_->admin->address.port);
    if (r != 0) {
      LOG_ERROR("gateway", "cannot listen on admin " << config_->admin->address.text << ": "
                                                     << uv_strerror(r));
      for (auto& fds : listen_fds_) {
        for (int fd : fds) ::close(fd);
      }
      admin_->close();
      mailbox_.close();
      closeSignalHandles();
      uv_run(&loop_, UV_RUN_DEFAULT);
      return 1;
    }
    LOG_INFO("gateway", "admin on " << config_->admin->address.text);
  }

  std::vector<worker::Worker*> raw;
  for (auto& w : workers_) raw.push_back(w.get());
  hub_.setWorkers(raw);
  hub_.start();

  for (size_t i = 0; i < workers_.size(); ++i) {
    auto wl = std::make_shared<WorkerListeners>();
    listeners_.push_back(wl);
    std::vector<int> fds = listen_fds_[i];
    auto ctx = ctx_;
    auto specs = specs_;
    workers_[i]->start(
        [wl, fds, ctx, specs](worker::Worker& w) {
          for (size_t j = 0; j < fds.size(); ++j) {
            auto* l = new downstream::Listener(w, ctx, fds[j], specs[j]);
            if (l->start() == 0) {
              wl->listeners.push_back(l);
              wl->index.push_back(j);
            }
          }
        },
        [wl](worker::Worker&) {
          for (auto* l : wl->listeners) l->close();
          wl->listeners.clear();
          wl->index.clear();
        });
  }
  shared_.ready.store(true);
  LOG_INFO("gateway", "started with " << n << " workers, " << config_->routes.size() << " routes");

  trimmer_.start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  return 0;
}

void Gateway::closeSignalHandles() {
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sighup_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
}

void Gateway::onSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Gateway*>(handle->data);
  if (signum == SIGHUP) {
    self->reload();
    return;
  }
  if (++self->stop_signals_ > 1) {
    LOG_WARN("gateway", "second stop signal: exiting now");
    _exit(0);
  }
  LOG_INFO("gateway", (signum == SIGTERM ? "SIGTERM" : "SIGINT")
                          << ": draining over " << self->config_->limits.drain_timeout.count()
                          << " ms");
  self->beginDrain();
}

void Gateway::reload() {
  if (stop_signals_ > 0) return;
  LOG_INFO("gateway", "SIGHUP: reloading " << config_path_);
  config::LoadResult loaded = config::loadConfigFile(config_path_);
  std::vector<std::string> problems;
  for (const auto& e : loaded.errors) problems.push_back(e.format());
  if (loaded.ok()) {
    for (const auto& m : preflight(loaded.config)) problems.push_back(m);
  }
  std::shared_ptr<const downstream::DownstreamContext> ctx;
  if (problems.empty()) {
    std::string error;
    ctx = makeContext(loaded.config, &error);
    if (!ctx) problems.push_back(error);
  }
  // Listeners keep their sockets; those whose address is unchanged take the new protocols and
  // TLS certificates (re-read from the files, also at unchanged paths). specs[i] is for the
  // running listener i, null when its address is gone from the new file.
  std::vector<std::shared_ptr<const downstream::ListenerSpec>> specs(specs_.size());
  size_t tls_reloaded = 0;
  if (problems.empty()) {
    for (size_t i = 0; i < listen_addresses_.size(); ++i) {
      for (const auto& l : loaded.config->listeners) {
        if (!sameAddress(l.address, listen_addresses_[i])) continue;
        std::string protocols;
        std::string error;
        auto spec = makeSpec(l, &protocols, &error);
        if (!spec) {
          problems.push_back("listener " + l.address.text +
                             ": TLS certificate not loaded: " + error);
        } else {
          tls_reloaded += spec->tls ? 1 : 0;
          specs[i] = std::move(spec);
        }
        break;
      }
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) LOG_ERROR("gateway", "reload rejected: " << p);
    LOG_ERROR("gateway", "reload failed: the running configuration stays");
    return;
  }
  if (!sameListeners(listen_addresses_, *loaded.config)) {
    LOG_WARN("gateway", "listener addresses changed: they take effect only after a restart");
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i]) specs_[i] = specs[i];
  }
  if (loaded.config->workers != config_->workers) {
    LOG_WARN("gateway", "workers changed: takes effect only after a restart");
  }
  config_ = loaded.config;
  ctx_ = std::move(ctx);
  int64_t window = config_->limits.drain_timeout.count();
  for (size_t i = 0; i < workers_.size(); ++i) {
    worker::Worker* w = workers_[i].get();
    auto wl = listeners_[i];
    auto ctx = ctx_;
    auto cfg = config_;
    auto all_specs = specs_;
    w->post([w, wl, ctx, cfg, window, all_specs] {
      for (size_t k = 0; k < wl->listeners.size(); ++k) {
        wl->listeners[k]->setContext(ctx);
        wl->listeners[k]->setSpec(all_specs[wl->index[k]]);
      }
      w->reload(cfg, window);
    });
  }
  LOG_INFO("gateway", "configuration reloaded: " << config_->routes.size() << " routes, "
                                                 << config_->upstreams.size() << " upstreams, "
                                                 << tls_reloaded << " TLS certificates");
}

void Gateway::beginDrain() {
  shared_.draining.store(true);
  drain_started_ms_ = uv_now(&loop_);
  int64_t window = config_->limits.drain_timeout.count();
  for (size_t i = 0; i < workers_.size(); ++i) {
    worker::Worker* w = workers_[i].get();
    auto wl = listeners_[i];
    w->post([w, wl, window] {
      for (auto* l : wl->listeners) l->close();
      wl->listeners.clear();
      wl->index.clear();
      w->drain(window);
    });
  }
  uv_timer_start(&drain_timer_, &Gateway::onDrainTimer, 50, 50);
}

void Gateway::onDrainTimer(uv_timer_t* handle) {
  static_cast<Gateway*>(handle->data)->checkDrain();
}

void Gateway::checkDrain() {
  uint64_t elapsed = uv_now(&loop_) - drain_started_ms_;
  uint64_t limit = static_cast<uint64_t>(config_->limits.drain_timeout.count()) + 2000;
  if (shared_.connections.load() > 0 && elapsed < limit) return;
  finish();
}

void Gateway::finish() {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(&drain_timer_);
  for (auto& w : workers_) w->stop();
  hub_.stop();
  if (admin_) admin_->close();
  mailbox_.close();
  closeSignalHandles();
  trimmer_.stop();
  LOG_INFO("gateway", "stopped");
}

}  // namespace ssegate::app
