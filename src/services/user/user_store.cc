// User accounts in SQLite.
#include "services/user/user_store.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "services/user/user_validation.h"

namespace switchboard::user {
namespace {

constexpr char kIdPrefix[] = "usr";
constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kNanosPerMilli = 1000000;

const std::vector<common::Migration>& Migrations() {
  // Emails are stored lowercased; NOCASE also keeps a hand-edited row from dodging UNIQUE.
  static const std::vector<common::Migration> kMigrations = {
      {1, "users table", R"sql(
        CREATE TABLE users (
          id TEXT PRIMARY KEY,
          email TEXT NOT NULL COLLATE NOCASE UNIQUE,
          display_name TEXT NOT NULL,
          created_at_ms INTEGER NOT NULL
        );
      )sql"},
  };
  return kMigrations;
}

void SetCreatedAt(int64_t unix_ms, v1::User& user) {
  user.mutable_created_at()->set_seconds(unix_ms / kMillisPerSecond);
  user.mutable_created_at()->set_nanos(
      static_cast<int32_t>((unix_ms % kMillisPerSecond) * kNanosPerMilli));
}

}  // namespace

absl::StatusOr<std::unique_ptr<UserStore>> UserStore::Open(const std::string& path) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<UserStore>(new UserStore(std::move(*db)));
}

absl::StatusOr<v1::User> UserStore::Create(const std::string& email,
                                           const std::string& display_name,
                                           int64_t created_at_unix_ms) {
  v1::User user;
  user.set_id(common::NewId(kIdPrefix));
  user.set_email(email);
  user.set_display_name(display_name);
  SetCreatedAt(created_at_unix_ms, user);

  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(
      "INSERT INTO users (id, email, display_name, created_at_ms) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, user.id()).Bind(2, email).Bind(3, display_name).Bind(4, created_at_unix_ms);
  absl::Status inserted = stmt->Run();
  if (absl::IsAlreadyExists(inserted)) {
    if (absl::StrContains(inserted.message(), "users.email")) {
      return absl::AlreadyExistsError(
          absl::StrCat("email ", QuoteForMessage(email), " is already taken"));
    }
    // 64 random bits colliding is not worth a retry loop; report it as the fault it is.
    return absl::InternalError(absl::StrCat("new user id collided: ", inserted.message()));
  }
  if (!inserted.ok()) return inserted;
  return user;
}

absl::StatusOr<v1::User> UserStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare("SELECT id, email, display_name, created_at_ms FROM users WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("user ", QuoteForMessage(id), " not found"));
  v1::User user;
  user.set_id(stmt->ColumnText(0));
  user.set_email(stmt->ColumnText(1));
  user.set_display_name(stmt->ColumnText(2));
  SetCreatedAt(stmt->ColumnInt(3), user);
  return user;
}

}  // namespace switchboard::user
