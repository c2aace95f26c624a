#include "services/upload/upload_service.h"

#include "common/system_config.h"
#include "services/upload/download_reactor.h"
#include "services/upload/file_store.h"
#include "services/upload/stream_registry.h"
#include "services/upload/upload_reactor.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"

namespace switchboard::upload {
namespace {

constexpr int64_t kDefaultMaxFileBytes = int64_t{2} << 30;  // 2 GiB
constexpr int64_t kMaxMaxFileBytes = int64_t{1} << 40;      // 1 TiB
// Each upload holds a file descriptor and up to one message (4 MiB) in memory.
constexpr int64_t kDefaultMaxConcurrentUploads = 64;
// Each download holds a file descriptor and up to one chunk (1 MiB) in memory.
constexpr int64_t kDefaultMaxConcurrentDownloads = 256;
constexpr int64_t kMaxConcurrentStreams = 10000;

struct UploadSettings {
  std::string database;
  int64_t max_file_bytes;
  int64_t max_concurrent_uploads;
  int64_t max_concurrent_downloads;
};

// UploadFile is raw (the reactor parses each chunk itself, see upload_reactor.h); GetFile is
// typed.
using UploadCallbackService = v1::UploadService::WithRawCallbackMethod_UploadFile<
    v1::UploadService::WithCallbackMethod_GetFile<v1::UploadService::Service>>;

class UploadServiceImpl final : public UploadCallbackService {
 public:
  UploadServiceImpl(FileStore* store, const UploadSettings& settings)
      : store_(store),
        max_file_bytes_(settings.max_file_bytes),
        uploads_("uploads", static_cast<size_t>(settings.max_concurrent_uploads)),
        downloads_("downloads", static_cast<size_t>(settings.max_concurrent_downloads)) {}

  grpc::ServerReadReactor<grpc::ByteBuffer>* UploadFile(grpc::CallbackServerContext* context,
                                                        grpc::ByteBuffer* result) override {
    return new UploadReactor(context, result, store_, &uploads_, max_file_bytes_);
  }

  grpc::ServerWriteReactor<v1::FileChunk>* GetFile(grpc::CallbackServerContext* /*context*/,
                                                   const v1::GetFileRequest* request) override {
    return new DownloadReactor(*request, store_, &downloads_);
  }

  void BeginShutdown() {
    uploads_.BeginShutdown();
    downloads_.BeginShutdown();
  }

 private:
  FileStore* store_;
  const int64_t max_file_bytes_;
  StreamRegistry uploads_;
  StreamRegistry downloads_;
};

class UploadService final : public common::Service {
 public:
  UploadService(std::unique_ptr<FileStore> store, const UploadSettings& settings)
      : store_(std::move(store)), grpc_service_(store_.get(), settings) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  void BeginShutdown() override { grpc_service_.BeginShutdown(); }

 private:
  std::unique_ptr<FileStore> store_;
  UploadServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeUploadService(
    const common::ServiceOptions& options) {
  common::Settings reader(options.settings, "services.upload");
  UploadSettings settings;
  settings.database = reader.String("database", "uploads.db");
  settings.max_file_bytes = reader.Int("max_file_bytes", kDefaultMaxFileBytes, 1, kMaxMaxFileBytes);
  settings.max_concurrent_uploads =
      reader.Int("max_concurrent_uploads", kDefaultMaxConcurrentUploads, 1, kMaxConcurrentStreams);
  settings.max_concurrent_downloads = reader.Int(
      "max_concurrent_downloads", kDefaultMaxConcurrentDownloads, 1, kMaxConcurrentStreams);
  if (auto s = reader.Finish(); !s.ok()) return s;
  auto store = FileStore::Open(options.data_dir, settings.database);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(new UploadService(std::move(*store), settings));
}

}  // namespace switchboard::upload
