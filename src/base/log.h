// Logging to stderr: one line per event, "TIME LEVEL [context] message".
//
// Thread-safe (one write(2) per line). The level is process-global and set once at start-up.
// Use the LOG_* macros so that disabled levels cost one comparison and no formatting.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace ssegate {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

bool parseLogLevel(std::string_view name, LogLevel* out);
void setLogLevel(LogLevel level);
LogLevel logLevel();
bool logEnabled(LogLevel level);
void logLine(LogLevel level, std::string_view context, const std::string& message);

}  // namespace ssegate

#define SSEGATE_LOG(level, context, expr)                        \
  do {                                                           \
    if (::ssegate::logEnabled(level)) {                          \
      std::ostringstream ssegate_log_os_;                        \
      ssegate_log_os_ << expr;                                   \
      ::ssegate::logLine(level, context, ssegate_log_os_.str()); \
    }                                                            \
  } while (0)

#define LOG_DEBUG(ctx, expr) SSEGATE_LOG(::ssegate::LogLevel::kDebug, ctx, expr)
#define LOG_INFO(ctx, expr) SSEGATE_LOG(::ssegate::LogLevel::kInfo, ctx, expr)
#define LOG_WARN(ctx, expr) SSEGATE_LOG(::ssegate::LogLevel::kWarn, ctx, expr)
#define LOG_ERROR(ctx, expr) SSEGATE_LOG(::ssegate::LogLevel::kError, ctx, expr)
