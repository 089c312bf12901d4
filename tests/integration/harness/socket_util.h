// Thin POSIX socket helpers shared by the harness: loopback connect, non-blocking mode, and a
// move-only owner for file descriptors. No threads, no state beyond the fd itself.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

namespace ssegate::integration {

// Owns one file descriptor; closes it on destruction. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

bool setNonBlocking(int fd);

// Starts a non-blocking connect to 127.0.0.1:port. `rcvbuf` > 0 sets SO_RCVBUF before connecting
// (so the advertised window stays small). Returns the fd (connect possibly in progress) or -1.
int startConnect(uint16_t port, int rcvbuf = 0);

// Blocking connect to 127.0.0.1:port with a bound; true on success.
bool canConnect(uint16_t port, int timeout_ms);

// Closes with an RST (SO_LINGER 0) instead of a FIN.
void closeWithReset(int fd);

}  // namespace ssegate::integration
