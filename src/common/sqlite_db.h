// A small RAII layer over SQLite: one connection in WAL mode, prepared statements, and
// versioned schema migrations recorded in PRAGMA user_version.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchboard::common {

class Statement {
 public:
  // A cached statement is reset for reuse on destruction instead of finalized.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool cached = false)
      : db_(db), stmt_(stmt), cached_(cached) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(other.stmt_), cached_(other.cached_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);

  // Advances to the next row: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  std::string ColumnText(int index) const;
  int64_t ColumnInt(int index) const;
  double ColumnDouble(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool cached_;
};

// One schema step; `version` numbers start at 1 and never change once released.
struct Migration {
  int version;
  std::string description;
  std::string sql;
};

class Database {
 public:
  // Opens (creating if needed) the file at `path`, in WAL mode with a busy timeout.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  absl::Status Execute(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // Like Prepare, but compiles `sql` once per connection and reuses it: for hot queries. The
  // caller must hold mutex() while the statement is alive.
  absl::StatusOr<Statement> PrepareCached(const std::string& sql);
  // Applies, in one transaction each, every migration newer than the stored schema version.
  absl::Status Migrate(const std::vector<Migration>& migrations);
  absl::StatusOr<int> SchemaVersion();
  int64_t Changes() const { return sqlite3_changes64(db_); }

  // Callers hold this for a whole unit of work so statements on the shared connection never
  // interleave between threads.
  std::mutex& mutex() { return mutex_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::mutex mutex_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

// Runs `body` inside BEGIN IMMEDIATE/COMMIT, rolling back if it returns an error.
template <typename Body>
absl::Status InTransaction(Database& db, Body&& body) {
  if (auto s = db.Execute("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status status = body();
  if (status.ok()) {
    status = db.Execute("COMMIT");
    if (status.ok()) return status;
  }
  db.Execute("ROLLBACK").IgnoreError();
  return status;
}

}  // namespace switchboard::common
