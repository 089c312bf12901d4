// A TCP port on 127.0.0.1 that was free a moment ago: bind port 0, read the port, close.
//
// There is a small race (another process may take it before the gateway binds); acceptable for
// tests on a dedicated machine. Aborts the test binary if no socket can be bound at all.
#pragma once

#include <cstdint>

namespace ssegate::integration {

uint16_t freePort();

}  // namespace ssegate::integration
