// A child process started with fork/exec, its stdout and stderr redirected to one file.
//
// Owned by the test thread. The destructor kills a still-running child (SIGKILL) and reaps it,
// so no test leaves processes behind. Everything between fork and exec is async-signal-safe
// (argv and the output path are prepared before the fork).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/wait.h"

namespace ssegate::integration {

class ChildProcess {
 public:
  // How the child ended, from waitpid().
  struct Exit {
    bool exited = false;  // normal exit: `code` is valid
    int code = -1;
    int signal = 0;  // killed by this signal
    std::string describe() const;
  };

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with the rest as arguments; output appended to `output_path`.
  bool spawn(const std::vector<std::string>& argv, const std::string& output_path);
  bool running();
  pid_t pid() const { return pid_; }
  bool signal(int signo);
  // Waits up to `timeout` for the child to end; nullopt if it is still running.
  std::optional<Exit> wait(Millis timeout);
  // SIGKILL and reap.
  Exit kill();
  const std::optional<Exit>& exit() const { return exit_; }

 private:
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<Exit> exit_;
};

// Runs a command to completion (bounded); returns its exit and its combined output.
struct CommandResult {
  ChildProcess::Exit exit;
  std::string output;
  bool timed_out = false;
};
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& output_path,
                         Millis timeout);

std::string readFile(const std::string& path);

}  // namespace ssegate::integration
