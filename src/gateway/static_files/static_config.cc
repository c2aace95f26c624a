#include "gateway/static_files/static_config.h"

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::static_files {

absl::Status ParseStaticConfig(const YAML::Node& node, StaticConfig* out) {
  if (!node.IsMap())
    return absl::InvalidArgumentError("static: expected a map such as {root: DIR}");
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (key != "root") {
      return absl::InvalidArgumentError(
          absl::StrCat("static.", key, ": unknown key (known: root)"));
    }
  }
  const YAML::Node root = node["root"];
  if (!root) return absl::InvalidArgumentError("static.root: missing (a directory)");
  if (!root.IsScalar() || root.Scalar().empty()) {
    return absl::InvalidArgumentError("static.root: expected a directory path");
  }
  out->root = root.Scalar();
  return absl::OkStatus();
}

}  // namespace switchboard::gateway::static_files
