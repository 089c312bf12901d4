#include "config/key_table.h"

#include <algorithm>

namespace ssegate::config::detail {
namespace {

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest known key within edit distance 2, for "did you mean" hints.
std::string_view closestKey(std::string_view key, const std::vector<std::string_view>& keys) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view candidate : keys) {
    const size_t d = editDistance(key, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

YAML::Mark valueMark(const YAML::Node& key, const YAML::Node& value) {
  return value.IsNull() ? key.Mark() : value.Mark();
}

}  // namespace

Reader::Scope::Scope(Reader& reader, std::string_view key)
    : reader_(reader), saved_(reader.path_.size()) {
  if (!reader_.path_.empty()) reader_.path_ += '.';
  reader_.path_.append(key);
}

Reader::Scope::Scope(Reader& reader, size_t index) : reader_(reader), saved_(reader.path_.size()) {
  reader_.path_ += '[' + std::to_string(index) + ']';
}

void Reader::error(const YAML::Mark& mark, std::string message) {
  ConfigError e;
  e.file = file_;
  if (!mark.is_null()) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.message = std::move(message);
  errors_.push_back(std::move(e));
}

void Reader::errorHere(const YAML::Mark& mark, std::string_view message) {
  failed_paths_.push_back(path_);
  if (path_.empty()) {
    error(mark, std::string(message));
  } else {
    error(mark, path_ + ": " + std::string(message));
  }
}

bool Reader::failedAt(const std::string& path, bool include_below) const {
  return std::any_of(failed_paths_.begin(), failed_paths_.end(), [&](const std::string& failed) {
    if (failed.compare(0, path.size(), path) != 0) return false;
    if (failed.size() == path.size()) return true;
    return include_below && (failed[path.size()] == '.' || failed[path.size()] == '[');
  });
}

bool Reader::hasValid(const std::string& path) const {
  return has(path) && !failedAt(path);
}

YAML::Mark Reader::markOf(std::string path) const {
  while (true) {
    auto it = marks_.find(path);
    if (it != marks_.end()) return it->second;
    if (path.empty()) return YAML::Mark::null_mark();
    const size_t cut = path.find_last_of(".[");
    path.resize(cut == std::string::npos ? 0 : cut);
  }
}

std::string describeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      std::string text = node.Scalar();
      if (text.size() > 40) text = text.substr(0, 40) + "...";
      return "\"" + text + "\"";
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

std::string joinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i != 0) out += names.size() == 2 ? " or " : (i + 1 == names.size() ? ", or " : ", ");
    out.append(names[i]);
  }
  return out;
}

const std::string* requireScalar(Reader& r, const Value& v, std::string_view what) {
  if (v.node.IsScalar()) return &v.node.Scalar();
  r.errorHere(v.mark, "expected " + std::string(what) + ", got " + describeNode(v.node));
  return nullptr;
}

std::optional<bool> readBool(Reader& r, const Value& v) {
  const std::string* text = requireScalar(r, v, "true or false");
  if (text == nullptr) return std::nullopt;
  if (*text == "true" || *text == "True" || *text == "TRUE") return true;
  if (*text == "false" || *text == "False" || *text == "FALSE") return false;
  r.errorHere(v.mark, "expected true or false, got " + describeNode(v.node));
  return std::nullopt;
}

std::optional<uint64_t> readUnsigned(Reader& r, const Value& v, uint64_t min, uint64_t max) {
  const std::string* text = requireScalar(r, v, "an integer");
  if (text == nullptr) return std::nullopt;
  std::string why;
  auto n = parseUnsigned(*text, &why);
  if (!n) {
    r.errorHere(v.mark, why);
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    r.errorHere(v.mark, *text + " is out of range (" + std::to_string(min) + ".." +
                            std::to_string(max) + ")");
    return std::nullopt;
  }
  return n;
}

std::optional<Millis> readDuration(Reader& r, const Value& v, Millis min, Millis max) {
  const std::string* text = requireScalar(r, v, "a duration such as \"15s\"");
  if (text == nullptr) return std::nullopt;
  std::string why;
  auto d = parseDuration(*text, &why);
  if (!d) {
    r.errorHere(v.mark, why);
    return std::nullopt;
  }
  if (*d < min) {
    r.errorHere(v.mark, *text + " is too short (at least " + formatDuration(min) + ")");
    return std::nullopt;
  }
  if (*d > max) {
    r.errorHere(v.mark, *text + " is too long (at most " + formatDuration(max) + ")");
    return std::nullopt;
  }
  return d;
}

std::optional<uint64_t> readSize(Reader& r, const Value& v, uint64_t min, uint64_t max) {
  const std::string* text = requireScalar(r, v, "a size such as 65536 or \"64KiB\"");
  if (text == nullptr) return std::nullopt;
  std::string why;
  auto n = parseSize(*text, &why);
  if (!n) {
    r.errorHere(v.mark, why);
    return std::nullopt;
  }
  if (*n < min) {
    r.errorHere(v.mark, *text + " is too small (at least " + formatSize(min) + ")");
    return std::nullopt;
  }
  if (*n > max) {
    r.errorHere(v.mark, *text + " is too large (at most " + formatSize(max) + ")");
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> readString(Reader& r, const Value& v, StringCheck check) {
  const std::string* text = requireScalar(r, v, "a string");
  if (text == nullptr) return std::nullopt;
  if (text->empty()) {
    r.errorHere(v.mark, "must not be empty");
    return std::nullopt;
  }
  std::string why;
  if (check != nullptr && !check(*text, &why)) {
    r.errorHere(v.mark, why);
    return std::nullopt;
  }
  return *text;
}

bool walkMap(Reader& r, const Value& v, const std::vector<std::string_view>& keys,
             const std::vector<bool>& required,
             const std::function<void(size_t, const Value&)>& visit) {
  if (!v.node.IsMap()) {
    r.errorHere(v.mark, "expected a map, got " + describeNode(v.node));
    return false;
  }
  std::vector<YAML::Mark> seen(keys.size(), YAML::Mark::null_mark());
  for (const auto& kv : v.node) {
    const YAML::Node& key_node = kv.first;
    if (!key_node.IsScalar()) {
      r.errorHere(key_node.Mark(), "keys must be plain strings, got " + describeNode(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      std::string message = "unknown key \"" + key + "\"";
      if (!r.path().empty()) message += " in " + r.path();
      const std::string_view hint = closestKey(key, keys);
      if (!hint.empty()) message += " (did you mean \"" + std::string(hint) + "\"?)";
      r.error(key_node.Mark(), std::move(message));
      continue;
    }
    const size_t index = static_cast<size_t>(it - keys.begin());
    Reader::Scope scope(r, key);
    if (!seen[index].is_null()) {
      r.errorHere(key_node.Mark(), "duplicate key (first written at line " +
                                       std::to_string(seen[index].line + 1) + ")");
      continue;
    }
    seen[index] = key_node.Mark();
    const Value value{kv.second, valueMark(key_node, kv.second)};
    r.remember(value.mark);
    visit(index, value);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (required[i] && seen[i].is_null()) {
      r.errorHere(v.mark, "missing required key \"" + std::string(keys[i]) + "\"");
    }
  }
  return true;
}

}  // namespace ssegate::config::detail
