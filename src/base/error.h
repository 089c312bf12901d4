// Error codes and Result<T> for the data path, where exceptions are not used.
//
// Result<T> holds either a value or one Error. It is deliberately tiny (C++20 has no
// std::expected in GCC 12 or clang 14). Config loading reports richer errors separately.
#pragma once

#include <string_view>
#include <utility>
#include <variant>

namespace ssegate {

enum class Error {
  kOk = 0,
  kInvalidArgument,
  kParse,
  kTooLarge,
  kTimeout,
  kConnectionClosed,
  kConnectFailed,
  kIo,
  kUnsupported,
  kLimit,
  kNotFound,
};

std::string_view errorName(Error e);

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(e) {}                 // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  Error error() const { return ok() ? Error::kOk : std::get<1>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace ssegate
