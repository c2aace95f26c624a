#include "gateway/auth/config_fields.h"

#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/duration.h"

namespace switchboard::gateway::config_fields {

absl::Status KeyError(const std::string& key, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", message));
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       std::initializer_list<const char*> known) {
  if (!node.IsMap()) return KeyError(where, "expected a map");
  const std::set<std::string> names(known.begin(), known.end());
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (names.count(key) == 0) {
      return KeyError(absl::StrCat(where, ".", key),
                      absl::StrCat("unknown key (known: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadString(const YAML::Node& node, const std::string& key, std::string* out) {
  if (!node.IsScalar() || node.Scalar().empty())
    return KeyError(key, "expected a non-empty string");
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status ReadInt(const YAML::Node& node, const std::string& key, int64_t min, int64_t max,
                     int64_t* out) {
  int64_t value = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
    return KeyError(
        key, absl::StrCat("\"", node.IsScalar() ? node.Scalar() : "?", "\" is not an integer"));
  }
  if (value < min || value > max) {
    return KeyError(key, absl::StrCat(value, " is outside ", min, "..", max));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadNumber(const YAML::Node& node, const std::string& key, double min, double max,
                        double* out) {
  double value = 0;
  if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &value) || !std::isfinite(value)) {
    return KeyError(
        key, absl::StrCat("\"", node.IsScalar() ? node.Scalar() : "?", "\" is not a number"));
  }
  if (value < min || value > max) {
    return KeyError(key, absl::StrCat(value, " is outside ", min, "..", max));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadDuration(const YAML::Node& node, const std::string& key,
                          std::chrono::milliseconds* out) {
  if (!node.IsScalar()) return KeyError(key, "expected a duration such as 5s");
  auto parsed = common::ParseDuration(node.Scalar());
  if (!parsed.ok()) return KeyError(key, std::string(parsed.status().message()));
  *out = *parsed;
  return absl::OkStatus();
}

}  // namespace switchboard::gateway::config_fields
