// Every service the `switchboard` binary can run, by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::services {

// The factory for `name`, or NOT_FOUND listing the names there are.
absl::StatusOr<common::ServiceFactory> FindService(const std::string& name);
std::vector<std::string> ServiceNames();

}  // namespace switchboard::services
