#include "config/config_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

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

void loadInto(const std::string& yaml_text, detail::Reader& r, std::shared_ptr<Config>* out) {
  const std::vector<YAML::Node> documents = YAML::LoadAll(yaml_text);
  if (documents.empty() || documents[0].IsNull()) {
    r.error(startOfFile(),
            "empty configuration: at least listeners, upstreams and routes are required");
    return;
  }
  for (size_t i = 1; i < documents.size(); ++i) {
    if (!documents[i].IsNull()) {
      r.error(documents[i].Mark(), "only one YAML document is allowed in a configuration file");
      break;
    }
  }
  const YAML::Node& root = documents[0];
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
