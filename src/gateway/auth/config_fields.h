// Reading fields of the gateway's YAML as gateway_config.cc does, for the blocks parsed in
// their own rooms (auth/, limits/): every error names its key, an unknown key is an error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"

namespace switchboard::gateway::config_fields {

absl::Status KeyError(const std::string& key, const std::string& message);
// `node` is a map whose keys are all among `known`.
absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       std::initializer_list<const char*> known);
absl::Status ReadString(const YAML::Node& node, const std::string& key, std::string* out);
absl::Status ReadInt(const YAML::Node& node, const std::string& key, int64_t min, int64_t max,
                     int64_t* out);
absl::Status ReadNumber(const YAML::Node& node, const std::string& key, double min, double max,
                        double* out);
absl::Status ReadDuration(const YAML::Node& node, const std::string& key,
                          std::chrono::milliseconds* out);

}  // namespace switchboard::gateway::config_fields
