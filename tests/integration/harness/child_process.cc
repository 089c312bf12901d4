#include "harness/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace ssegate::integration {

std::string ChildProcess::Exit::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "unknown";
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_) kill();
}

bool ChildProcess::spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return false;
  exit_.reset();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out);
  return pid_ > 0;
}

bool ChildProcess::reap(bool block) {
  if (pid_ <= 0 || exit_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  Exit e;
  if (WIFEXITED(status)) {
    e.exited = true;
    e.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
  }
  exit_ = e;
  return true;
}

bool ChildProcess::running() {
  return pid_ > 0 && !reap(false);
}

bool ChildProcess::signal(int signo) {
  return pid_ > 0 && !exit_ && ::kill(pid_, signo) == 0;
}

std::optional<ChildProcess::Exit> ChildProcess::wait(Millis timeout) {
  waitUntil([this] { return reap(false); }, timeout, Millis(10));
  return exit_;
}

ChildProcess::Exit ChildProcess::kill() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  return exit_.value_or(Exit{});
}

CommandResult runCommand(const std::vector<std::string>& argv, const std::string& output_path,
                         Millis timeout) {
  CommandResult result;
  ::unlink(output_path.c_str());
  ChildProcess child;
  if (!child.spawn(argv, output_path)) return result;
  auto exit = child.wait(timeout);
  if (!exit) {
    result.timed_out = true;
    exit = child.kill();
  }
  result.exit = *exit;
  result.output = readFile(output_path);
  return result;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace ssegate::integration
