#include "config/config_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

#include "config/config_checks.h"
#include "config/config_schema.h"
#include "config/key_table.h"

namespace ssegate::config {
namespace {

// A configuration is a few KiB; anything this large is a mistake (or an attack on `-t`).
constexpr off_t kMaxFileBytes = 16 * 1024 * 1024;

YAML::Mark startOfFile() {
  YAML::Mark mark;  // pos 0, line 0, column 0 -> "1:1"
  return mark;
}

// Finds where a second document with content starts, without building it. yaml-cpp 0.7's
// LoadAll() never ends on some malformed inputs (a stray "," yields endless empty documents),
// so the loader walks at most two documents with events and then loads only the first.
class SecondDocumentFinder : public YAML::EventHandler {
 public:
  int documents = 0;
  bool second_has_content = false;
  YAML::Mark second_mark;

  void OnDocumentStart(const YAML::Mark&) override { ++documents; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { content(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    content(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    content(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    content(m);
  }
  void OnMapEnd() override {}

 private:
  void content(const YAML::Mark& m) {
    if (documents >= 2 && !second_has_content) {
      second_has_content = true;
      second_mark = m;
    }
  }
};

void loadInto(const std::string& yaml_text, detail::Reader& r, std::shared_ptr<Config>* out) {
  SecondDocumentFinder finder;
  {
    std::istringstream in(yaml_text);
    YAML::Parser parser(in);
    // Documents 1 and 2 are enough to know whether there is a second one with content; a
    // bounded number of empty ones more is skipped so that "---" separators stay harmless.
    for (int i = 0; i < 64 && !finder.second_has_content && parser.HandleNextDocument(finder);) {
      ++i;
    }
  }
  const YAML::Node first = YAML::Load(yaml_text);
  if (!first || first.IsNull()) {
    r.error(startOfFile(),
            "empty configuration: at least listeners, upstreams and routes are required");
    return;
  }
  if (finder.second_has_content) {
    r.error(finder.second_mark, "only one YAML document is allowed in a configuration file");
  }
  const YAML::Node& root = first;
  if (!root.IsMap()) {
    r.error(root.Mark(),
            "the configuration must be a map of keys (listeners, upstreams, routes, "
            "...), got " +
                detail::describeNode(root));
    return;
  }
  auto config = std::make_shared<Config>();
  config->file = r.file();
  r.remember(root.Mark());  // path "": the fallback position for cross-key errors
  detail::readConfig(r, detail::Value{root, root.Mark()}, *config);
  detail::checkConfig(r, *config);
  *out = std::move(config);
}

}  // namespace

LoadResult loadConfigString(const std::string& yaml_text, const std::string& file_name) {
  LoadResult result;
  detail::Reader reader(file_name);
  std::shared_ptr<Config> config;
  try {
    loadInto(yaml_text, reader, &config);
  } catch (const YAML::Exception& e) {
    // Syntax errors (ParserException) and anything yaml-cpp throws while we walk the tree.
    reader.error(e.mark, e.msg.empty() ? std::string("invalid YAML") : e.msg);
  } catch (const std::bad_alloc&) {
    reader.error(YAML::Mark::null_mark(), "out of memory while loading the configuration");
  } catch (const std::exception& e) {
    reader.error(YAML::Mark::null_mark(), std::string("internal error: ") + e.what());
  }
  result.errors = reader.takeErrors();
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult loadConfigFile(const std::string& path) {
  LoadResult result;
  auto fail = [&](std::string message) {
    result.errors.push_back(ConfigError{path, 0, 0, std::move(message)});
    return result;
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes) {
    const std::string why = !S_ISREG(st.st_mode) ? "not a regular file" : "file too large";
    ::close(fd);
    return fail("cannot read: " + why);
  }
  std::string text;
  try {
    text.resize(static_cast<size_t>(st.st_size));
  } catch (const std::exception&) {
    ::close(fd);
    return fail("cannot read: out of memory");
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return fail(std::string("cannot read: ") + std::strerror(saved));
    }
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return loadConfigString(text, path);
}

}  // namespace ssegate::config
