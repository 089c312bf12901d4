// The declarative key table (DESIGN B4.7): each configuration section is a KeyTable<T>, one
// KeyRow per YAML key with its type, whether it is required, its documented default and a
// Field that parses, range-checks and stores the value into T. readSection() walks a YAML map
// against a table: unknown and duplicate keys, wrong types and missing required keys become
// errors positioned at the offending key or value. It never stops at the first error.
//
// Reader is the per-load state: the error list, the dotted path of the key being read
// ("routes[1].replay.max_events") and the position of every value read, so that cross-key checks
// (config_checks.h) can point at the right line later. One Reader per load, single-threaded.
//
// Absent keys keep the defaults of the structs in config.h; the default column documents them
// (and a unit test keeps both in sync). Nothing here throws: yaml-cpp accessors used are the
// non-throwing ones (Type, Scalar, Mark, iteration).
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"
#include "config/units.h"

namespace ssegate::config::detail {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  // Appends ".key" or "[index]" to the current path for the lifetime of the Scope.
  class Scope {
   public:
    Scope(Reader& reader, std::string_view key);
    Scope(Reader& reader, size_t index);
    ~Scope() { reader_.path_.resize(saved_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Reader& reader_;
    size_t saved_;
  };

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // Records an error at `mark` with the message as given.
  void error(const YAML::Mark& mark, std::string message);
  // Records "<current path>: message" at `mark` (just the message at the root).
  void errorHere(const YAML::Mark& mark, std::string_view message);

  // Remembers where the value at the current path was written.
  void remember(const YAML::Mark& mark) { marks_[path_] = mark; }
  bool has(const std::string& path) const { return marks_.count(path) != 0; }
  // True when `path` was written and no error was reported for it or below it. Cross-key checks
  // use it so that one bad value does not also produce a derived error.
  bool hasValid(const std::string& path) const;
  // True when an error was reported for `path` (or, with include_below, anywhere below it).
  bool failedAt(const std::string& path, bool include_below = true) const;
  // Where `path` was written; falls back to the closest remembered ancestor ("a.b[2].c" ->
  // "a.b[2]" -> "a.b" -> "a" -> ""), or a null mark.
  YAML::Mark markOf(std::string path) const;

  size_t errorCount() const { return errors_.size(); }
  std::vector<ConfigError> takeErrors() { return std::move(errors_); }

 private:
  std::string file_;
  std::string path_;
  std::vector<ConfigError> errors_;
  std::unordered_map<std::string, YAML::Mark> marks_;
  std::vector<std::string> failed_paths_;  // paths errorHere() reported, in order
};

// A YAML value together with the position to blame for it: its own mark, or its key's mark when
// the value is empty (yaml-cpp places empty values at the next token).
struct Value {
  const YAML::Node& node;
  YAML::Mark mark;
};

// "a map", "a list", "an empty value", or the quoted scalar.
std::string describeNode(const YAML::Node& node);

// The scalar text of v, or nullptr after reporting "expected <what>, got ...".
const std::string* requireScalar(Reader& r, const Value& v, std::string_view what);

// Typed scalar readers: report and return nullopt on failure.
std::optional<bool> readBool(Reader& r, const Value& v);
std::optional<uint64_t> readUnsigned(Reader& r, const Value& v, uint64_t min, uint64_t max);
std::optional<Millis> readDuration(Reader& r, const Value& v, Millis min, Millis max);
std::optional<uint64_t> readSize(Reader& r, const Value& v, uint64_t min, uint64_t max);
// Non-empty string; `check`, when set, returns false and a reason for a bad value.
using StringCheck = bool (*)(std::string_view value, std::string* error);
std::optional<std::string> readString(Reader& r, const Value& v, StringCheck check);

enum class Need { kOptional, kRequired };

// One documented key, e.g. {"routes[].replay.max_events", "integer", false, "1000"}.
struct KeyInfo {
  std::string path;
  std::string_view type;
  bool required = false;
  std::string_view default_text;
};

template <typename T>
struct Field {
  std::string_view type;  // for humans: "duration", "size", "map", ...
  std::function<void(Reader&, const Value&, T&)> apply;
  // Nested tables only: appends the sub-keys under `prefix` (see describeTable).
  std::function<void(const std::string& prefix, std::vector<KeyInfo>* out)> children = {};
};

template <typename T>
struct KeyRow {
  std::string_view key;
  Need need;
  std::string_view default_text;  // documented default; "" = none (empty / not set)
  Field<T> field;
};

template <typename T>
using KeyTable = std::vector<KeyRow<T>>;

// Shared by every readSection instantiation: key lookup, unknown-key and duplicate-key
// reporting. Calls visit(row_index, value) for each known key, then reports missing required
// keys. Returns false if `v` is not a map (already reported).
bool walkMap(Reader& r, const Value& v, const std::vector<std::string_view>& keys,
             const std::vector<bool>& required,
             const std::function<void(size_t, const Value&)>& visit);

template <typename T>
bool readSection(Reader& r, const Value& v, const KeyTable<T>& table, T& out) {
  std::vector<std::string_view> keys;
  std::vector<bool> required;
  keys.reserve(table.size());
  for (const KeyRow<T>& row : table) {
    keys.push_back(row.key);
    required.push_back(row.need == Need::kRequired);
  }
  return walkMap(r, v, keys, required,
                 [&](size_t i, const Value& value) { table[i].field.apply(r, value, out); });
}

template <typename T>
void describeTable(const KeyTable<T>& table, const std::string& prefix, std::vector<KeyInfo>* out) {
  for (const KeyRow<T>& row : table) {
    const std::string path =
        prefix.empty() ? std::string(row.key) : prefix + "." + std::string(row.key);
    out->push_back(KeyInfo{path, row.field.type, row.need == Need::kRequired, row.default_text});
    if (row.field.children) row.field.children(path, out);
  }
}

// ---- Field builders: one per value type. Each returns a Field<T> storing into a member. ----

template <typename M>
void assignNumber(M& target, uint64_t value) {
  if constexpr (std::is_same_v<M, std::optional<uint32_t>>) {
    target = static_cast<uint32_t>(value);
  } else {
    target = static_cast<M>(value);
  }
}

template <typename T>
Field<T> boolField(bool T::*member) {
  return {"bool", [member](Reader& r, const Value& v, T& out) {
            if (auto b = readBool(r, v)) out.*member = *b;
          }};
}

// M is an unsigned integer type or std::optional<uint32_t>; max must fit in it.
template <typename T, typename M>
Field<T> uintField(M T::*member, uint64_t min, uint64_t max) {
  return {"integer", [member, min, max](Reader& r, const Value& v, T& out) {
            if (auto n = readUnsigned(r, v, min, max)) assignNumber(out.*member, *n);
          }};
}

template <typename T>
Field<T> durationField(Millis T::*member, Millis min, Millis max) {
  return {"duration", [member, min, max](Reader& r, const Value& v, T& out) {
            if (auto d = readDuration(r, v, min, max)) out.*member = *d;
          }};
}

template <typename T, typename M>
Field<T> sizeField(M T::*member, uint64_t min, uint64_t max) {
  return {"size", [member, min, max](Reader& r, const Value& v, T& out) {
            if (auto n = readSize(r, v, min, max)) assignNumber(out.*member, *n);
          }};
}

template <typename T>
Field<T> stringField(std::string T::*member, StringCheck check = nullptr) {
  return {"string", [member, check](Reader& r, const Value& v, T& out) {
            if (auto s = readString(r, v, check)) out.*member = std::move(*s);
          }};
}

template <typename E>
using EnumNames = std::vector<std::pair<std::string_view, E>>;

std::string joinNames(const std::vector<std::string_view>& names);

template <typename E>
std::optional<E> readEnum(Reader& r, const Value& v, const EnumNames<E>& names) {
  std::vector<std::string_view> all;
  for (const auto& [name, value] : names) all.push_back(name);
  const std::string* text = requireScalar(r, v, "one of " + joinNames(all));
  if (text == nullptr) return std::nullopt;
  for (const auto& [name, value] : names) {
    if (name == *text) return value;
  }
  r.errorHere(v.mark, "invalid value " + describeNode(v.node) + " (expected one of " +
                          joinNames(all) + ")");
  return std::nullopt;
}

template <typename T, typename E>
Field<T> enumField(E T::*member, EnumNames<E> names) {
  return {"enum", [member, names = std::move(names)](Reader& r, const Value& v, T& out) {
            if (auto e = readEnum(r, v, names)) out.*member = *e;
          }};
}

// A non-empty list of distinct enum values, e.g. protocols: [h2, http1].
template <typename T, typename E>
Field<T> enumListField(std::vector<E> T::*member, EnumNames<E> names) {
  return {"list", [member, names = std::move(names)](Reader& r, const Value& v, T& out) {
            if (!v.node.IsSequence()) {
              r.errorHere(v.mark, "expected a list, got " + describeNode(v.node));
              return;
            }
            if (v.node.size() == 0) {
              r.errorHere(v.mark, "must not be empty");
              return;
            }
            std::vector<E> values;
            bool ok = true;
            size_t index = 0;
            for (const YAML::Node& item : v.node) {
              Reader::Scope scope(r, index++);
              const Value iv{item, item.IsNull() ? v.mark : item.Mark()};
              auto e = readEnum(r, iv, names);
              if (!e) {
                ok = false;
              } else if (std::find(values.begin(), values.end(), *e) != values.end()) {
                r.errorHere(iv.mark, "duplicate value " + describeNode(item));
                ok = false;
              } else {
                values.push_back(*e);
              }
            }
            if (ok) out.*member = std::move(values);
          }};
}

// A possibly empty list of strings, each passing `check`.
template <typename T>
Field<T> stringListField(std::vector<std::string> T::*member, StringCheck check) {
  return {"list", [member, check](Reader& r, const Value& v, T& out) {
            if (!v.node.IsSequence()) {
              r.errorHere(v.mark, "expected a list, got " + describeNode(v.node));
              return;
            }
            std::vector<std::string> values;
            bool ok = true;
            size_t index = 0;
            for (const YAML::Node& item : v.node) {
              Reader::Scope scope(r, index++);
              auto s = readString(r, Value{item, item.IsNull() ? v.mark : item.Mark()}, check);
              if (s) {
                values.push_back(std::move(*s));
              } else {
                ok = false;
              }
            }
            if (ok) out.*member = std::move(values);
          }};
}

// A nested map read against its own table. S may be a struct or std::optional<struct> (which
// becomes engaged when the key is present).
template <typename T, typename S>
Field<T> sectionField(S T::*member, const KeyTable<S>* table) {
  return {"map",
          [member, table](Reader& r, const Value& v, T& out) {
            readSection(r, v, *table, out.*member);
          },
          [table](const std::string& prefix, std::vector<KeyInfo>* out) {
            describeTable(*table, prefix, out);
          }};
}

template <typename T, typename S>
Field<T> sectionField(std::optional<S> T::*member, const KeyTable<S>* table) {
  return {"map",
          [member, table](Reader& r, const Value& v, T& out) {
            S section;
            if (readSection(r, v, *table, section)) out.*member = std::move(section);
          },
          [table](const std::string& prefix, std::vector<KeyInfo>* out) {
            describeTable(*table, prefix, out);
          }};
}

// A non-empty list of maps, each read against `table`. `line` (optional) receives each item's
// line.
template <typename T, typename S>
Field<T> listField(std::vector<S> T::*member, const KeyTable<S>* table, int S::*line = nullptr) {
  return {"list",
          [member, table, line](Reader& r, const Value& v, T& out) {
            if (!v.node.IsSequence()) {
              r.errorHere(v.mark, "expected a list, got " + describeNode(v.node));
              return;
            }
            if (v.node.size() == 0) {
              r.errorHere(v.mark, "must not be empty");
              return;
            }
            size_t index = 0;
            for (const YAML::Node& item : v.node) {
              Reader::Scope scope(r, index++);
              const Value iv{item, item.IsNull() ? v.mark : item.Mark()};
              r.remember(iv.mark);
              S element;
              if (line != nullptr) element.*line = iv.mark.line + 1;
              // Kept even when invalid so that indices stay aligned with the file for the
              // cross-key checks; the config is not returned when there are errors anyway.
              readSection(r, iv, *table, element);
              (out.*member).push_back(std::move(element));
            }
          },
          [table](const std::string& prefix, std::vector<KeyInfo>* out) {
            describeTable(*table, prefix + "[]", out);
          }};
}

// A map of user-chosen names to maps read against `table`, e.g. upstreams: { app: {...} }.
// `name` receives the key; names must pass `check`.
template <typename T, typename S>
Field<T> namedMapField(std::map<std::string, S> T::*member, const KeyTable<S>* table,
                       std::string S::*name, StringCheck check) {
  return {"map",
          [member, table, name, check](Reader& r, const Value& v, T& out) {
            if (!v.node.IsMap()) {
              r.errorHere(v.mark, "expected a map of names, got " + describeNode(v.node));
              return;
            }
            for (const auto& kv : v.node) {
              if (!kv.first.IsScalar()) {
                r.errorHere(kv.first.Mark(), "names must be strings");
                continue;
              }
              const std::string& key = kv.first.Scalar();
              std::string why;
              if (check != nullptr && !check(key, &why)) {
                r.errorHere(kv.first.Mark(), why);
                continue;
              }
              if ((out.*member).count(key) != 0) {
                r.errorHere(kv.first.Mark(), "duplicate name \"" + key + "\"");
                continue;
              }
              Reader::Scope scope(r, key);
              const Value iv{kv.second, kv.second.IsNull() ? kv.first.Mark() : kv.second.Mark()};
              r.remember(kv.first.Mark());
              S element;
              element.*name = key;
              readSection(r, iv, *table, element);
              (out.*member).emplace(key, std::move(element));
            }
          },
          [table](const std::string& prefix, std::vector<KeyInfo>* out) {
            describeTable(*table, prefix + ".*", out);
          }};
}

// Anything else: a custom parser with a type label.
template <typename T>
Field<T> customField(std::string_view type, std::function<void(Reader&, const Value&, T&)> fn) {
  return {type, std::move(fn)};
}

}  // namespace ssegate::config::detail
