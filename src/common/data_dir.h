// Where a service keeps its files: inside the configured data directory, created on demand.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace switchboard::common {

// Creates `data_dir` (and parents) if needed and returns the path of `file` inside it.
absl::StatusOr<std::string> DataPath(const std::string& data_dir, const std::string& file);

}  // namespace switchboard::common
