// The configuration loader: YAML text or file -> immutable, validated Config (DESIGN A3), or the
// complete list of problems, each as FILE:LINE:COLUMN: message (what `ssegate -t` prints).
//
// Stateless free functions, callable from any thread (the app calls them at start-up and on
// SIGHUP). They never throw: YAML syntax errors, I/O errors and even allocation failures come
// back as ConfigErrors. Every error in the file is reported, not only the first, sorted by
// position. A LoadResult carries a config only when there are no errors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"

namespace ssegate::config {

struct LoadResult {
  std::shared_ptr<const Config> config;
  std::vector<ConfigError> errors;

  bool ok() const { return errors.empty() && config; }
};

// Reads and loads `path`; Config::file is set to `path`.
LoadResult loadConfigFile(const std::string& path);

// Loads YAML text; `file_name` is used in errors and stored in Config::file.
LoadResult loadConfigString(const std::string& yaml_text, const std::string& file_name);

}  // namespace ssegate::config
