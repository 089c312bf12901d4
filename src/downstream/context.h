// DownstreamContext: what every downstream connection of one configuration shares, read-only:
// the config, the router, the process-wide counters, and the identity machinery the config asks
// for (the JWT verifier, the auth_request target and its answer cache). Built by the Gateway per
// configuration generation; immutable once shared (the auth cache locks internally).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "downstream/auth_request_client.h"
#include "downstream/router.h"
#include "identity/auth_cache.h"
#include "identity/jwt_verifier.h"
#include "worker/shared_state.h"

namespace ssegate::downstream {

struct DownstreamContext {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const Router> router;
  worker::SharedState* shared = nullptr;
  int64_t sweep_interval_ms = 1000;

  std::shared_ptr<const identity::JwtVerifier> jwt;      // set when identity.jwt is
  std::optional<AuthRequestClient::Target> auth_target;  // set when identity.auth_request is
  std::shared_ptr<identity::AuthCache> auth_cache;       // set when identity.auth_request is

  // Builds jwt / auth_target / auth_cache from config->identity (reads the key files).
  // REQUIRES: config is set; called once, before the context is shared.
  // Returns false with a one-line reason in *error (e.g. an unreadable or unusable key file);
  // the caller must then not use this configuration (start-up fails, a reload is rejected).
  bool buildIdentity(std::string* error);
};

}  // namespace ssegate::downstream
