#include "services/ticket/event_store.h"

#include "services/ticket/postgres_event_store.h"
#include "services/ticket/sqlite_event_store.h"

namespace switchboard::ticket {

absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(const common::store::StoreConfig& config,
                                                           const std::string& sqlite_path) {
  if (config.postgres()) {
    common::store::PgPoolOptions options;
    options.url = config.url;
    options.size = config.pool_size;
    auto store = PostgresEventStore::Open(std::move(options));
    if (!store.ok()) return store.status();
    return std::unique_ptr<EventStore>(std::move(*store));
  }
  auto store = SqliteEventStore::Open(sqlite_path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(std::move(*store));
}

}  // namespace switchboard::ticket
