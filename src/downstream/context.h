// DownstreamContext: what every downstream connection of one configuration shares, read-only:
// the config, the router and the process-wide counters. Built by the Gateway; immutable.
#pragma once

#include <memory>

#include "config/config.h"
#include "downstream/router.h"
#include "worker/shared_state.h"

namespace ssegate::downstream {

struct DownstreamContext {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const Router> router;
  worker::SharedState* shared = nullptr;
  int64_t sweep_interval_ms = 1000;
};

}  // namespace ssegate::downstream
