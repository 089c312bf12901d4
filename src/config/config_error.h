// ConfigError: one problem found while loading a configuration, with its position in the file.
//
// Plain value type. Lines and columns are 1-based (yaml-cpp's 0-based marks are converted);
// 0 means "no position" (e.g. the file could not be read).
#pragma once

#include <string>

namespace ssegate::config {

struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  // "FILE:LINE:COLUMN: message", or "FILE: message" when there is no position.
  std::string format() const;
};

}  // namespace ssegate::config
