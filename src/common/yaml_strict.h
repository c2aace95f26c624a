// YAML loading that refuses a key given twice in one map. yaml-cpp keeps the first and drops
// the second without a word, so a second `cors:` block or `port:` would pass `--check` and be
// ignored; every config file here is read through this instead.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/status/statusor.h"

namespace switchboard::common {

// As YAML::Load, and a drop-in for it: throws YAML::ParserException for bad syntax and for a
// duplicate key, naming the key by its path and both lines:
//   yaml-cpp: error at line 7, column 1: duplicate key "cors" (first at line 2)
YAML::Node LoadYamlStrict(const std::string& text);

// Reads and loads `path`; errors (unreadable file, bad syntax, a duplicate key) start with it.
absl::StatusOr<YAML::Node> LoadYamlFileStrict(const std::string& path);

}  // namespace switchboard::common
