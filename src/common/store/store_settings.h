// A service's `store` and `store_pool_size` settings (its block of the system config, where the
// system-wide `store` is copied unless the block names its own).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/store/store_config.h"
#include "common/system_config.h"

namespace switchboard::common::store {

// Reads both keys; a bad URL is an error naming `context`.store, never the password.
absl::StatusOr<StoreConfig> ReadStoreSettings(Settings& settings, const std::string& context);

}  // namespace switchboard::common::store
