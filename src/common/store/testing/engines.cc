#include "common/store/testing/engines.h"

#include "absl/strings/str_cat.h"
#include "common/store/testing/postgres_server.h"

namespace switchboard::common::store::testing {

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

absl::StatusOr<StoreConfig> StoreFor(Engine engine) {
  StoreConfig config;
  if (engine == Engine::kSqlite) return config;
  auto url = FreshPostgresDatabase();
  if (!url.ok()) return url.status();
  config.url = *url;
  return config;
}

absl::StatusOr<std::string> SettingsFor(Engine engine, const std::string& extra) {
  auto store = StoreFor(engine);
  if (!store.ok()) return store.status();
  std::string items = extra;
  if (store->postgres()) {
    absl::StrAppend(&items, items.empty() ? "" : ", ", "store: '", store->url, "'");
  }
  return absl::StrCat("{", items, "}");
}

}  // namespace switchboard::common::store::testing
