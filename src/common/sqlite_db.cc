#include "common/sqlite_db.h"

#include "absl/strings/str_cat.h"

namespace switchboard::common {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// The database's file, so that an error ("file is not a database") says which one.
std::string FileOf(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  return file != nullptr && *file != '\0' ? file : "(in memory)";
}

absl::Status SqliteError(sqlite3* db, const std::string& what) {
  return absl::InternalError(
      absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db), " (", FileOf(db), ")"));
}

}  // namespace

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(absl::StrCat("constraint: ", sqlite3_errmsg(db_)));
  }
  return SqliteError(db_, "step");
}

absl::Status Statement::Run() {
  auto stepped = Step();
  return stepped.ok() ? absl::OkStatus() : stepped.status();
}

std::string Statement::ColumnText(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::ColumnDouble(int index) const { return sqlite3_column_double(stmt_, index); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return absl::UnavailableError(absl::StrCat("cannot open database ", path, ": ", message));
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto s = db->Execute(pragma); !s.ok()) return s;
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::StatusOr<Statement> Database::PrepareCached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return SqliteError(db_, absl::StrCat("prepare \"", sql, "\""));
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Statement(db_, it->second, /*cached=*/true);
}

absl::Status Database::Execute(std::string_view sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    if (rc == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(message);
    return absl::InternalError(absl::StrCat("sqlite: ", message, " (", FileOf(db_), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return SqliteError(db_, absl::StrCat("prepare \"", std::string(sql), "\""));
  }
  return Statement(db_, stmt);
}

absl::StatusOr<int> Database::SchemaVersion() {
  auto stmt = Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(stmt->ColumnInt(0));
}

absl::Status Database::Migrate(const std::vector<Migration>& migrations) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto current = SchemaVersion();
  if (!current.ok()) return current.status();
  int version = *current;
  if (!migrations.empty() && version > migrations.back().version) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", version, " is newer than this binary knows (",
                     migrations.back().version, ")"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    absl::Status status = InTransaction(*this, [&] {
      if (auto s = Execute(m.sql); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("migration ", m.version, " (", m.description,
                                                   "): ", s.message()));
      }
      return Execute(absl::StrCat("PRAGMA user_version = ", m.version));
    });
    if (!status.ok()) return status;
    version = m.version;
  }
  return absl::OkStatus();
}

}  // namespace switchboard::common
