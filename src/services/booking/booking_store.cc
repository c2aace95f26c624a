#include "services/booking/booking_store.h"

#include "services/booking/postgres_booking_store.h"
#include "services/booking/sqlite_booking_store.h"

namespace switchboard::booking {

absl::StatusOr<std::unique_ptr<BookingStore>> OpenBookingStore(
    const common::store::StoreConfig& config, const std::string& sqlite_path) {
  if (config.postgres()) {
    common::store::PgPoolOptions options;
    options.url = config.url;
    options.size = config.pool_size;
    auto store = PostgresBookingStore::Open(std::move(options));
    if (!store.ok()) return store.status();
    return std::unique_ptr<BookingStore>(std::move(*store));
  }
  auto store = SqliteBookingStore::Open(sqlite_path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<BookingStore>(std::move(*store));
}

}  // namespace switchboard::booking
