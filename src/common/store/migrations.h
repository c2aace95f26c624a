// Versioned schema migrations, one numbered list per service written for both engines: SQLite
// records the version in PRAGMA user_version (as it always has), PostgreSQL in a schema_version
// table shared by the services of one database.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/sqlite_db.h"
#include "common/store/pg_connection.h"

namespace switchboard::common::store {

// One schema step; `version` numbers start at 1 and never change once released. The same
// step in each engine's dialect.
struct VersionedMigration {
  int version;
  std::string description;
  std::string sqlite_sql;
  std::string postgres_sql;
};

std::vector<Migration> SqliteMigrations(const std::vector<VersionedMigration>& migrations);

// Applies, in one transaction each, every migration of `service` newer than the version in
// schema_version. Replicas starting together take turns (an advisory lock), so each step runs
// once.
absl::Status MigratePostgres(PgConnection& conn, const std::string& service,
                             const std::vector<VersionedMigration>& migrations);

// The newest version of `service` applied to the database, 0 for none.
absl::StatusOr<int> PostgresSchemaVersion(PgConnection& conn, const std::string& service);

}  // namespace switchboard::common::store
