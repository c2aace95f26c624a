// Where uploads live: finished files in <data_dir>/uploads/<file_id>, uploads in progress in
// <data_dir>/uploads/.incoming/, and one metadata row per finished file in SQLite.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/sqlite_db.h"
#include "services/upload/incoming_file.h"

namespace switchboard::upload {

struct StoredFile {
  std::string file_id;
  std::string file_name;
  int64_t total_bytes = 0;
  std::string sha256;
  int64_t created_at = 0;  // Unix seconds
};

class FileStore {
 public:
  static constexpr char kUploadsDir[] = "uploads";
  static constexpr char kIncomingDir[] = ".incoming";

  // Creates the directories, removes temporary files an earlier run left behind (their
  // uploads can never complete) and opens the metadata database `database_file`.
  static absl::StatusOr<std::unique_ptr<FileStore>> Open(const std::string& data_dir,
                                                         const std::string& database_file);

  // A new temporary file for an upload that is starting.
  absl::StatusOr<std::unique_ptr<IncomingFile>> NewIncoming();
  // Publishes a sealed upload under a new file id. The metadata row and the rename succeed or
  // fail together: GetFile never sees a row without its file.
  absl::StatusOr<StoredFile> Commit(IncomingFile& file, const std::string& file_name);
  // The metadata of `file_id`, or NOT_FOUND.
  absl::StatusOr<StoredFile> Find(const std::string& file_id);
  // Deletes a stored file and its metadata (an upload whose client never learned the id).
  absl::Status Remove(const std::string& file_id);

  std::string FilePath(const std::string& file_id) const;
  const std::string& uploads_dir() const { return uploads_dir_; }
  const std::string& incoming_dir() const { return incoming_dir_; }

 private:
  FileStore(std::string uploads_dir, std::string incoming_dir, std::unique_ptr<common::Database> db)
      : uploads_dir_(std::move(uploads_dir)),
        incoming_dir_(std::move(incoming_dir)),
        db_(std::move(db)) {}

  std::string uploads_dir_;
  std::string incoming_dir_;
  std::unique_ptr<common::Database> db_;
};

}  // namespace switchboard::upload
