// ssegate-demo-origin: a plain SSE app server for demos, tests and benchmarks.
// See origin_options.cc for the command line.
#include <uv.h>

#include <csignal>
#include <cstdio>

#include "origin_options.h"
#include "origin_server.h"

namespace {

void closeSignal(uv_handle_t* handle, void*) {
  if (handle->type == UV_SIGNAL && !uv_is_closing(handle)) uv_close(handle, nullptr);
}

void onSignal(uv_signal_t* handle, int signum) {
  std::fprintf(stderr, "origin: signal %d, exiting\n", signum);
  static_cast<demo::OriginServer*>(handle->data)->stop();
  uv_walk(handle->loop, &closeSignal, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  demo::OriginOptions options;
  int exit_code = 0;
  if (!demo::parseOriginOptions(argc, argv, &options, &exit_code)) return exit_code;
  std::signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  demo::OriginServer server(loop, options);
  int rc = server.start();
  if (rc != 0) {
    std::fprintf(stderr, "origin: cannot listen on %s:%d: %s\n", options.host.c_str(), options.port,
                 uv_strerror(rc));
    return 1;
  }
  uv_signal_t sigterm, sigint;
  for (auto [handle, signum] : {std::pair{&sigterm, SIGTERM}, std::pair{&sigint, SIGINT}}) {
    uv_signal_init(loop, handle);
    handle->data = &server;
    uv_signal_start(handle, &onSignal, signum);
  }
  std::fprintf(stderr, "origin: listening on %s:%d, %g events/s per channel, %zu-byte data\n",
               options.host.c_str(), options.port, options.rate, options.size);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
