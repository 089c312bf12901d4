// PathTemplate: a compiled URL path pattern such as "/events/{channel}".
//
// Two flavours, chosen at compile time:
//  - route templates (compile): literal segments and variables; a variable is a whole segment
//    "{name}" and captures exactly one path segment of [A-Za-z0-9._~-]+ (but not "." or "..").
//    Variable names are [A-Za-z_][A-Za-z0-9_]* and unique. The router calls match() per request.
//  - upstream templates (compileUpstream): variables may appear anywhere in the text
//    ("/stream/{channel}.json", "/feed?topic={channel}"), may repeat, and are filled by render().
//
// Immutable after compile, so one instance may be shared read-only by every worker thread.
// match() does not allocate unless it succeeds and captures are requested.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssegate::config {

class PathTemplate {
 public:
  using Captures = std::vector<std::pair<std::string, std::string>>;

  // Route template. On failure returns nullopt and, if `error` is non-null, a reason.
  static std::optional<PathTemplate> compile(std::string_view text, std::string* error);
  // Upstream (render-only) template. On failure returns nullopt and a reason.
  static std::optional<PathTemplate> compileUpstream(std::string_view text, std::string* error);

  // Route templates only (always false for upstream templates). `path` excludes the query.
  // On success `captures` (if non-null) is replaced by the (name, segment) pairs in template
  // order; on failure it is left untouched.
  bool match(std::string_view path, Captures* captures) const;

  // Variable names in order of first appearance, without duplicates.
  std::vector<std::string> variables() const;
  bool hasVariable(std::string_view name) const;

  // Fills every variable with lookup(name). Values are percent-encoded except for the unreserved
  // characters [A-Za-z0-9._~-]; a value that is exactly "." or ".." is encoded as %2E so that
  // it cannot act as a dot-segment. A variable for which lookup returns nullptr renders empty.
  std::string render(const std::function<const std::string*(std::string_view name)>& lookup) const;

  const std::string& text() const { return text_; }
  bool isRoute() const { return route_; }

 private:
  // One piece of the template: literal text, or a variable (index into names_).
  struct Part {
    std::string literal;
    int variable = -1;
  };

  PathTemplate() = default;
  static std::optional<PathTemplate> build(std::string_view text, bool route, std::string* error);

  std::string text_;
  bool route_ = false;
  std::vector<std::string> names_;  // distinct variable names
  // Route templates: one Part per path segment (after each '/'). Upstream templates: a flat
  // sequence of literal runs and variables covering the whole text.
  std::vector<Part> parts_;
  size_t literal_bytes_ = 0;  // route: sum of literal segment lengths + separators, for a quick
                              // length pre-check in match()
};

}  // namespace ssegate::config
