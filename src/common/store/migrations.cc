#include "common/store/migrations.h"

#include "absl/strings/str_cat.h"

namespace switchboard::common::store {
namespace {

// Any fixed number: the key of the advisory lock every migrating replica takes.
constexpr int64_t kMigrationLockKey = 0x5377697463680001;  // "Switch" + 1

constexpr char kCreateSchemaVersion[] = R"sql(
  CREATE TABLE IF NOT EXISTS schema_version (
    service TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (service, version)
  )
)sql";

absl::Status ApplyAll(PgConnection& conn, const std::string& service,
                      const std::vector<VersionedMigration>& migrations) {
  if (auto created = conn.Execute(kCreateSchemaVersion); !created.ok()) return created.status();
  auto current = PostgresSchemaVersion(conn, service);
  if (!current.ok()) return current.status();
  for (const auto& m : migrations) {
    if (m.version <= *current) continue;
    absl::Status status = conn.Execute("BEGIN").status();
    if (status.ok()) status = conn.Execute(m.postgres_sql).status();
    if (status.ok()) {
      status = conn.Run(
                       "INSERT INTO schema_version (service, version, description) "
                       "VALUES ($1, $2, $3)",
                       {service, absl::StrCat(m.version), m.description})
                   .status();
    }
    if (status.ok()) status = conn.Execute("COMMIT").status();
    if (!status.ok()) {
      if (conn.Healthy()) conn.Execute("ROLLBACK").IgnoreError();
      return absl::Status(status.code(), absl::StrCat(service, " migration ", m.version, " (",
                                                      m.description, "): ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Migration> SqliteMigrations(const std::vector<VersionedMigration>& migrations) {
  std::vector<Migration> sqlite;
  sqlite.reserve(migrations.size());
  for (const auto& m : migrations) sqlite.push_back({m.version, m.description, m.sqlite_sql});
  return sqlite;
}

absl::StatusOr<int> PostgresSchemaVersion(PgConnection& conn, const std::string& service) {
  auto row = conn.Run("SELECT COALESCE(MAX(version), 0) FROM schema_version WHERE service = $1",
                      {service});
  if (!row.ok()) return row.status();
  return static_cast<int>(row->Int(0, 0));
}

absl::Status MigratePostgres(PgConnection& conn, const std::string& service,
                             const std::vector<VersionedMigration>& migrations) {
  const std::string key = absl::StrCat(kMigrationLockKey);
  if (auto locked = conn.Run("SELECT pg_advisory_lock($1)", {key}); !locked.ok()) {
    return locked.status();
  }
  absl::Status status = ApplyAll(conn, service, migrations);
  if (conn.Healthy()) conn.Run("SELECT pg_advisory_unlock($1)", {key}).IgnoreError();
  return status;
}

}  // namespace switchboard::common::store
