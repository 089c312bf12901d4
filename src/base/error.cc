#include "base/error.h"

namespace ssegate {

std::string_view errorName(Error e) {
  switch (e) {
    case Error::kOk:
      return "ok";
    case Error::kInvalidArgument:
      return "invalid argument";
    case Error::kParse:
      return "parse error";
    case Error::kTooLarge:
      return "too large";
    case Error::kTimeout:
      return "timeout";
    case Error::kConnectionClosed:
      return "connection closed";
    case Error::kConnectFailed:
      return "connect failed";
    case Error::kIo:
      return "i/o error";
    case Error::kUnsupported:
      return "unsupported";
    case Error::kLimit:
      return "limit reached";
    case Error::kNotFound:
      return "not found";
  }
  return "unknown";
}

}  // namespace ssegate
