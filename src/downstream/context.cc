#include "downstream/context.h"

namespace ssegate::downstream {

bool DownstreamContext::buildIdentity(std::string* error) {
  const config::Identity& id = config->identity;
  if (id.jwt) {
    std::string why;
    auto verifier = identity::JwtVerifier::create(*id.jwt, &why);
    if (!verifier) {
      *error = "identity.jwt: " + why;
      return false;
    }
    jwt = std::move(verifier);
  }
  if (id.auth_request) {
    std::string why;
    auth_target = AuthRequestClient::parseTarget(id.auth_request->url, &why);
    if (!auth_target) {
      *error = "identity.auth_request.url: " + why;
      return false;
    }
    auth_cache = std::make_shared<identity::AuthCache>();
  }
  return true;
}

}  // namespace ssegate::downstream
