#include "common/store/store_settings.h"

#include "absl/strings/str_cat.h"

namespace switchboard::common::store {

absl::StatusOr<StoreConfig> ReadStoreSettings(Settings& settings, const std::string& context) {
  StoreConfig config;
  config.url = settings.String("store", "");
  config.pool_size =
      static_cast<int>(settings.Int("store_pool_size", config.pool_size, 1, kMaxPoolSize));
  if (config.postgres()) {
    if (auto bad = ValidatePostgresUrl(config.url); !bad.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(context, ".store: ", bad.message()));
    }
  }
  return config;
}

}  // namespace switchboard::common::store
