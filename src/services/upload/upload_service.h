// UploadService: files streamed to disk in chunks (UploadFile) and streamed back (GetFile).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/service.h"

namespace switchboard::upload {

// Settings (services.upload):
//   database: metadata file inside data_dir (default uploads.db)
//   max_file_bytes: largest accepted upload (default 2 GiB)
//   max_concurrent_uploads / max_concurrent_downloads: streams in flight (defaults 64 / 256)
absl::StatusOr<std::unique_ptr<common::Service>> MakeUploadService(
    const common::ServiceOptions& options);

}  // namespace switchboard::upload
