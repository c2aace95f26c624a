#include "services/upload/upload_config.h"

#include "common/system_config.h"

namespace switchboard::upload {
namespace {

constexpr int64_t kMaxMaxFileBytes = int64_t{1} << 40;  // 1 TiB
constexpr int64_t kMaxConcurrentStreams = 10000;

}  // namespace

absl::StatusOr<UploadConfig> ReadUploadConfig(const YAML::Node& node) {
  common::Settings settings(node, "services.upload");
  UploadConfig config;
  config.database = settings.String("database", config.database);
  config.max_file_bytes =
      settings.Int("max_file_bytes", config.max_file_bytes, 1, kMaxMaxFileBytes);
  config.max_concurrent_uploads = settings.Int(
      "max_concurrent_uploads", config.max_concurrent_uploads, 1, kMaxConcurrentStreams);
  config.max_concurrent_downloads = settings.Int(
      "max_concurrent_downloads", config.max_concurrent_downloads, 1, kMaxConcurrentStreams);
  if (auto s = settings.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace switchboard::upload
