// The two store engines, for contract tests that run once on each (TEST_P over Engine).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "absl/status/statusor.h"
#include "common/store/store_config.h"

namespace switchboard::common::store::testing {

enum class Engine { kSqlite, kPostgres };

inline const auto kBothEngines = ::testing::Values(Engine::kSqlite, Engine::kPostgres);

// "Sqlite" / "Postgres", as the test name suffix.
std::string EngineName(const ::testing::TestParamInfo<Engine>& info);

// The store setting for `engine`: SQLite (the default, an empty URL) or a fresh database on the
// shared test server.
absl::StatusOr<StoreConfig> StoreFor(Engine engine);

// A service's settings block for `engine`, as YAML: `extra` (a flow map's inside, may be empty)
// plus the store URL.
absl::StatusOr<std::string> SettingsFor(Engine engine, const std::string& extra = "");

}  // namespace switchboard::common::store::testing
