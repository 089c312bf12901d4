// Socket address helpers: numeric host:port to sockaddr, and listening sockets that several
// workers (and, during a zero-downtime restart, several processes) share with SO_REUSEPORT.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "base/error.h"

namespace ssegate::net {

// Fills *out from a numeric IPv4/IPv6 host ("127.0.0.1", "::1"; "localhost" is accepted as
// 127.0.0.1). Returns false for anything else (hostnames need the resolver).
bool toSockaddr(const std::string& host, uint16_t port, sockaddr_storage* out);

// A non-blocking TCP socket bound to host:port with SO_REUSEADDR and SO_REUSEPORT, listening.
// Returns the fd, or Error::kIo with errno preserved.
Result<int> openListenSocket(const std::string& host, uint16_t port, int backlog);

// The peer's IP address as text ("" if unknown).
std::string peerIp(int fd);

// "ip:port" of a connected socket's peer, for logs ("" if unknown).
std::string peerName(int fd);

}  // namespace ssegate::net
