// The gateway's `static:` block: a directory whose files are served at the root for the paths
// no route claims (the browser app, same origin as the API).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/status/status.h"

namespace switchboard::gateway::static_files {

struct StaticConfig {
  // Empty: no files served. Relative paths are taken from the gateway's working directory.
  std::string root;
  bool enabled() const { return !root.empty(); }
};

// Reads `static: {root: DIR}` into `out`; an unknown key or a root that is not a non-empty
// string is an error naming it ("static.foo: unknown key (known: root)").
absl::Status ParseStaticConfig(const YAML::Node& node, StaticConfig* out);

}  // namespace switchboard::gateway::static_files
