// ssegate entry point: command line (DESIGN A2), configuration check, then the Gateway.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app/gateway.h"
#include "base/log.h"
#include "config/config_loader.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void usage(FILE* out) {
  fprintf(out,
          "usage: ssegate [-c FILE] [-t] [--log-level debug|info|warn|error] [--version]\n"
          "  -c FILE   configuration (default conf/ssegate.yaml)\n"
          "  -t        check the configuration and exit\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "conf/ssegate.yaml";
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-c" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "-t") {
      check_only = true;
    } else if (arg == "--log-level" && i + 1 < argc) {
      ssegate::LogLevel level;
      if (!ssegate::parseLogLevel(argv[++i], &level)) {
        fprintf(stderr, "ssegate: unknown log level \"%s\"\n", argv[i]);
        return 2;
      }
      ssegate::setLogLevel(level);
    } else if (arg == "--version" || arg == "-v") {
      printf("ssegate %s\n", kVersion);
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "ssegate: unknown argument \"%s\"\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }

  ssegate::config::LoadResult loaded = ssegate::config::loadConfigFile(config_path);
  std::vector<std::string> problems;
  for (const auto& e : loaded.errors) problems.push_back(e.format());
  if (loaded.ok()) {
    for (const auto& m : ssegate::app::Gateway::preflight(loaded.config)) {
      problems.push_back(config_path + ": " + m);
    }
  }
  if (!problems.empty()) {
    for (const auto& p : problems) fprintf(stderr, "%s\n", p.c_str());
    if (check_only) fprintf(stderr, "configuration check failed\n");
    return 1;
  }
  if (check_only) {
    printf("configuration OK\n");
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  ssegate::app::Gateway gateway(loaded.config, config_path);
  return gateway.run();
}
