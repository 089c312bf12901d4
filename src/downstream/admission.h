// Admission: the protocol-independent decision on one SSE request: method, route, draining,
// Last-Event-ID, (identity, auth, per-user caps and CORS as they are configured) -> either an
// error answer or a SubscribeRequest for the hub.
//
// Thread: the worker loop of the connection. admit() may answer inside the call or later (an
// auth subrequest); `done` is called exactly once unless the Admission is cancelled by dropping
// the returned handle first (see admit()).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "downstream/context.h"
#include "downstream/stream_request.h"
#include "worker/subscription.h"

namespace ssegate::worker {
class Worker;
struct SharedState;
}  // namespace ssegate::worker

namespace ssegate::downstream {

struct Admission {
  int status = 0;                       // 0: admitted; otherwise the HTTP status to answer
  Reject reason = Reject::kBadRequest;  // counted when status is an error
  std::string body;                     // the one-line error body
  std::string headers;                  // extra response header lines, each ending in CRLF
  worker::SubscribeRequest request;     // when admitted
  const config::Route* route = nullptr;
  std::string user;  // identity ("" = anonymous)
  // Released when the stream ends (per-user / per-IP caps); may be null.
  std::shared_ptr<void> slot;
  int64_t expires_at_unix = 0;  // the credential's expiry (0 = none)
};

class Admitter {
 public:
  using Done = std::function<void(Admission&&)>;
  // Decides on `req`. The returned handle keeps an asynchronous decision alive; dropping it
  // cancels the decision and `done` is not called after that.
  static std::shared_ptr<void> admit(worker::Worker& worker,
                                     std::shared_ptr<const DownstreamContext> ctx,
                                     StreamRequest req, Done done);

  // A connection the listener accepted over limits.max_connections or while draining
  // (SharedState::admitConnection): counts the rejection, logs it under `log_tag`, and returns
  // the one-line reason for the client ("shutting down" or "too many connections").
  static const char* refuseConnection(const worker::SharedState& shared, const char* log_tag);
};

}  // namespace ssegate::downstream
