// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction unless
// keep() was called (tests keep it when they fail, so the config and logs can be inspected).
#pragma once

#include <string>

namespace ssegate::integration {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to file(name) and returns that path.
  std::string write(const std::string& name, const std::string& content) const;
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

}  // namespace ssegate::integration
