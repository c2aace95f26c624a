#include "services/upload/upload_service.h"

#include "services/upload/download_reactor.h"
#include "services/upload/file_store.h"
#include "services/upload/stream_registry.h"
#include "services/upload/upload_config.h"
#include "services/upload/upload_reactor.h"
#include "switchboard/upload/v1/upload.grpc.pb.h"

namespace switchboard::upload {
namespace {

// UploadFile is raw (the reactor parses each chunk itself, see upload_reactor.h); GetFile is
// typed.
using UploadCallbackService = v1::UploadService::WithRawCallbackMethod_UploadFile<
    v1::UploadService::WithCallbackMethod_GetFile<v1::UploadService::Service>>;

class UploadServiceImpl final : public UploadCallbackService {
 public:
  UploadServiceImpl(FileStore* store, const UploadConfig& config)
      : store_(store),
        max_file_bytes_(config.max_file_bytes),
        uploads_("uploads", static_cast<size_t>(config.max_concurrent_uploads)),
        downloads_("downloads", static_cast<size_t>(config.max_concurrent_downloads)) {}

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
  UploadService(std::unique_ptr<FileStore> store, const UploadConfig& config)
      : store_(std::move(store)), grpc_service_(store_.get(), config) {}
  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  void BeginShutdown() override { grpc_service_.BeginShutdown(); }

 private:
  std::unique_ptr<FileStore> store_;
  UploadServiceImpl grpc_service_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeUploadService(
    const common::ServiceOptions& options) {
  auto config = ReadUploadConfig(options.settings);
  if (!config.ok()) return config.status();
  auto store = FileStore::Open(options.data_dir, config->database);
  if (!store.ok()) return store.status();
  return std::unique_ptr<common::Service>(new UploadService(std::move(*store), *config));
}

}  // namespace switchboard::upload
