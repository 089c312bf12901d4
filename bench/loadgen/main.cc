// ssegate-loadgen: opens N SSE subscribers, measures origin-to-subscriber latency and delivery,
// prints one JSON object. With --procs K it forks K processes (each holds ~N/K connections, so
// the per-process open-file cap is not the limit) and merges their results.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "load_generator.h"
#include "options.h"
#include "stats.h"

namespace {

std::vector<pid_t> g_children;

void forwardSignal(int signum) {
  for (pid_t pid : g_children) kill(pid, signum);
}

std::string jsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  return out + "\"";
}

std::string latencyJson(const loadgen::Histogram& histogram) {
  auto ms = [&](double percent) {
    return static_cast<double>(histogram.percentile(percent)) / 1000.0;
  };
  char text[256];
  std::snprintf(text, sizeof(text),
                "{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
                "\"mean\":%.3f}",
                ms(50), ms(90), ms(99), ms(99.9), static_cast<double>(histogram.max()) / 1000.0,
                histogram.mean() / 1000.0);
  return text;
}

void printJson(const loadgen::Options& options, const loadgen::Stats& stats) {
  std::string out = "{\"mode\":" +
                    jsonString(options.idle    ? "idle"
                               : options.storm ? "storm"
                                               : "stream") +
                    ",\"url\":" + jsonString(options.url) +
                    ",\"processes\":" + std::to_string(options.processes) +
                    ",\"channels\":" + std::to_string(options.channels);
  for (const loadgen::Stats::Field& field : loadgen::Stats::fields()) {
    out += ",\"" + std::string(field.first) + "\":" + std::to_string(stats.*field.second);
  }
  uint64_t missing = stats.expected > stats.delivered ? stats.expected - stats.delivered : 0;
  double measure_s = static_cast<double>(stats.measure_us) / 1e6;
  char tail[256];
  std::snprintf(tail, sizeof(tail),
                ",\"missing\":%llu,\"measure_s\":%.3f,\"deliveries_per_s\":%.1f"
                ",\"latency_samples\":%llu",
                static_cast<unsigned long long>(missing), measure_s,
                measure_s > 0 ? static_cast<double>(stats.events) / measure_s : 0.0,
                static_cast<unsigned long long>(stats.latency_us.count()));
  out += tail;
  out += ",\"latency_ms\":" + latencyJson(stats.latency_us);
  out += ",\"read_latency_ms\":" + latencyJson(stats.read_latency_us);
  if (options.storm) {
    char head[256];
    bool all_back = stats.storm_back == stats.subscribers;
    std::snprintf(head, sizeof(head),
                  ",\"storm\":{\"down_s\":%.3f,\"all_back_s\":%s,\"issue_ms\":%.1f"
                  ",\"drop_late_ms\":%.1f",
                  options.storm_down_s,
                  all_back
                      ? std::to_string(static_cast<double>(stats.storm_all_back_us) / 1e6).c_str()
                      : "null",
                  static_cast<double>(stats.storm_issue_us) / 1000.0,
                  static_cast<double>(stats.storm_drop_late_us) / 1000.0);
    out += head;
    for (const loadgen::Stats::Field& field : loadgen::Stats::stormFields()) {
      out += ",\"" + std::string(field.first) + "\":" + std::to_string(stats.*field.second);
    }
    out += ",\"recovery_ms\":" + latencyJson(stats.recovery_us) +
           ",\"response_ms\":" + latencyJson(stats.response_us) + "}";
  }
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

// Parent side of --procs K: fork, collect each child's serialized Stats from a pipe, merge.
int runProcesses(const loadgen::Options& options) {
  std::vector<int> pipes;
  for (int p = 0; p < options.processes; ++p) {
    int fds[2];
    if (pipe(fds) != 0) {
      std::perror("ssegate-loadgen: pipe");
      return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("ssegate-loadgen: fork");
      return 1;
    }
    if (pid == 0) {
      close(fds[0]);
      for (int fd : pipes) close(fd);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      std::string text;
      {
        loadgen::LoadGenerator generator(options, p);
        text = generator.run().serialize();
      }
      for (size_t done = 0; done < text.size();) {
        ssize_t n = write(fds[1], text.data() + done, text.size() - done);
        if (n <= 0) _exit(1);
        done += static_cast<size_t>(n);
      }
      _exit(0);
    }
    close(fds[1]);
    pipes.push_back(fds[0]);
    g_children.push_back(pid);
  }
  loadgen::Stats merged;
  int failures = 0;
  for (size_t p = 0; p < pipes.size(); ++p) {
    std::string text;
    char buffer[65536];
    for (ssize_t n; (n = read(pipes[p], buffer, sizeof(buffer))) != 0;) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      text.append(buffer, static_cast<size_t>(n));
    }
    close(pipes[p]);
    loadgen::Stats stats;
    if (stats.parse(text)) {
      merged.merge(stats);
    } else {
      std::fprintf(stderr, "ssegate-loadgen: process %zu reported nothing\n", p);
      ++failures;
    }
  }
  for (pid_t pid : g_children) waitpid(pid, nullptr, 0);
  printJson(options, merged);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  loadgen::Options options;
  int exit_code = 0;
  if (!loadgen::parseOptions(argc, argv, &options, &exit_code)) return exit_code;
  signal(SIGPIPE, SIG_IGN);
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  // A short common start lets the forked processes set up before the ramp begins.
  options.epoch_us = static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000 + 200000;
  if (options.processes == 1) {
    loadgen::Stats stats;
    {
      loadgen::LoadGenerator generator(options, 0);
      stats = generator.run();
    }
    printJson(options, stats);
    return 0;
  }
  struct sigaction action {};
  action.sa_handler = &forwardSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  return runProcesses(options);
}
