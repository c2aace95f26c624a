#include "services/upload/file_store.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data_dir.h"
#include "common/ids.h"

namespace switchboard::upload {
namespace {

namespace fs = std::filesystem;

constexpr char kFileIdPrefix[] = "file";
// A duplicate random id is astronomically unlikely; retrying a few times makes it a non-event.
constexpr int kCommitAttempts = 4;

const std::vector<common::Migration>& Migrations() {
  static const std::vector<common::Migration> kMigrations = {
      {1, "uploads table", R"sql(
        CREATE TABLE uploads (
          file_id TEXT PRIMARY KEY,
          file_name TEXT NOT NULL,
          total_bytes INTEGER NOT NULL CHECK (total_bytes >= 0),
          sha256 TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
      )sql"},
  };
  return kMigrations;
}

absl::Status CreateDirectory(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", ec.message()));
  return absl::OkStatus();
}

// Uploads that were in progress when an earlier run stopped can never complete.
void RemoveStaleIncoming(const std::string& incoming_dir) {
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(incoming_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    if (fs::remove_all(it->path(), remove_ec) > 0) ++removed;
    if (remove_ec) {
      spdlog::warn("upload: cannot remove stale {}: {}", it->path().string(), remove_ec.message());
    }
  }
  if (removed > 0)
    spdlog::info("upload: removed {} unfinished upload(s) from {}", removed, incoming_dir);
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileStore>> FileStore::Open(const std::string& data_dir,
                                                           const std::string& database_file) {
  auto db_path = common::DataPath(data_dir, database_file);
  if (!db_path.ok()) return db_path.status();
  const std::string uploads_dir = (fs::path(data_dir) / kUploadsDir).string();
  const std::string incoming_dir = (fs::path(uploads_dir) / kIncomingDir).string();
  if (auto s = CreateDirectory(incoming_dir); !s.ok()) return s;
  RemoveStaleIncoming(incoming_dir);
  auto db = common::Database::Open(*db_path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<FileStore>(new FileStore(uploads_dir, incoming_dir, std::move(*db)));
}

absl::StatusOr<std::unique_ptr<IncomingFile>> FileStore::NewIncoming() {
  return IncomingFile::Create(incoming_dir_);
}

std::string FileStore::FilePath(const std::string& file_id) const {
  return absl::StrCat(uploads_dir_, "/", file_id);
}

absl::StatusOr<StoredFile> FileStore::Commit(IncomingFile& file, const std::string& file_name) {
  StoredFile stored;
  stored.file_name = file_name;
  stored.total_bytes = file.size();
  stored.sha256 = file.sha256();
  stored.created_at = UnixSeconds();
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(db_->mutex());
    for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
      stored.file_id = common::NewId(kFileIdPrefix);
      // The rename happens inside the transaction: if it fails the row is rolled back, and if
      // the commit fails the file is taken back out of uploads/.
      bool moved = false;
      status = common::InTransaction(*db_, [&]() -> absl::Status {
        auto insert = db_->Prepare(
            "INSERT INTO uploads (file_id, file_name, total_bytes, sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?)");
        if (!insert.ok()) return insert.status();
        insert->Bind(1, stored.file_id)
            .Bind(2, stored.file_name)
            .Bind(3, stored.total_bytes)
            .Bind(4, stored.sha256)
            .Bind(5, stored.created_at);
        if (auto s = insert->Run(); !s.ok()) return s;
        if (auto s = file.MoveTo(FilePath(stored.file_id)); !s.ok()) return s;
        moved = true;
        return absl::OkStatus();
      });
      if (!status.ok() && moved) {
        std::error_code ec;
        fs::remove(FilePath(stored.file_id), ec);
      }
      if (!absl::IsAlreadyExists(status)) break;
    }
  }
  if (!status.ok()) return status;
  // The rename is durable only once the directory entry is on disk.
  if (auto s = SyncDirectory(uploads_dir_); !s.ok()) {
    spdlog::warn("upload: {} stored but not yet durable: {}", stored.file_id,
                 std::string(s.message()));
  }
  return stored;
}

absl::StatusOr<StoredFile> FileStore::Find(const std::string& file_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto select = db_->Prepare(
      "SELECT file_id, file_name, total_bytes, sha256, created_at FROM uploads WHERE file_id = ?");
  if (!select.ok()) return select.status();
  select->Bind(1, file_id);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return absl::NotFoundError(absl::StrCat("file \"", file_id, "\" not found"));
  StoredFile stored;
  stored.file_id = select->ColumnText(0);
  stored.file_name = select->ColumnText(1);
  stored.total_bytes = select->ColumnInt(2);
  stored.sha256 = select->ColumnText(3);
  stored.created_at = select->ColumnInt(4);
  return stored;
}

absl::Status FileStore::Remove(const std::string& file_id) {
  {
    std::lock_guard<std::mutex> lock(db_->mutex());
    auto remove = db_->Prepare("DELETE FROM uploads WHERE file_id = ?");
    if (!remove.ok()) return remove.status();
    remove->Bind(1, file_id);
    if (auto s = remove->Run(); !s.ok()) return s;
  }
  std::error_code ec;
  fs::remove(FilePath(file_id), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot remove ", file_id, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace switchboard::upload
