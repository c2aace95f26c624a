// UploadService settings (block services.upload), with their defaults in one place.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace switchboard::upload {

struct UploadConfig {
  static constexpr char kDefaultDatabase[] = "uploads.db";
  static constexpr int64_t kDefaultMaxFileBytes = int64_t{2} << 30;  // 2 GiB
  // Each upload holds a file descriptor and up to one message (4 MiB) in memory.
  static constexpr int64_t kDefaultMaxConcurrentUploads = 64;
  // Each download holds a file descriptor and up to one chunk (1 MiB) in memory.
  static constexpr int64_t kDefaultMaxConcurrentDownloads = 256;

  // The SQLite file of file metadata, relative to the data dir.
  std::string database = kDefaultDatabase;
  // Larger uploads are refused as they cross it.
  int64_t max_file_bytes = kDefaultMaxFileBytes;
  // Streams open at once; more are refused with RESOURCE_EXHAUSTED.
  int64_t max_concurrent_uploads = kDefaultMaxConcurrentUploads;
  int64_t max_concurrent_downloads = kDefaultMaxConcurrentDownloads;
};

// Reads the block; an unknown key or bad value is an error naming it ("services.upload.x").
absl::StatusOr<UploadConfig> ReadUploadConfig(const YAML::Node& settings);

}  // namespace switchboard::upload
