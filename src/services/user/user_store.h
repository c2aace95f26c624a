// User accounts in SQLite. Email uniqueness is a UNIQUE constraint, so concurrent creates of
// one email cannot both succeed whatever the interleaving.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/sqlite_db.h"
#include "switchboard/user/v1/user.pb.h"

namespace switchboard::user {

class UserStore {
 public:
  static absl::StatusOr<std::unique_ptr<UserStore>> Open(const std::string& path);

  // Inserts a user with a new id. `email` must already be normalised (NormalizeEmail).
  // ALREADY_EXISTS when the email is taken.
  absl::StatusOr<v1::User> Create(const std::string& email, const std::string& display_name,
                                  int64_t created_at_unix_ms);
  // NOT_FOUND naming the id when there is no such user.
  absl::StatusOr<v1::User> Get(const std::string& id);

 private:
  explicit UserStore(std::unique_ptr<common::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::user
