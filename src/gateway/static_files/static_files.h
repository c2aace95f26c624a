// The files of `static.root` as HTTP answers, whatever the codec: a request's method, target
// and the two headers that matter in, a status, headers and a body to stream out. Pure of any
// socket; one instance per event loop, so its gzip cache takes no lock.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gateway/codec/headers.h"
#include "gateway/static_files/body.h"
#include "gateway/static_files/gzip_cache.h"
#include "gateway/static_files/static_config.h"

namespace switchboard::gateway::static_files {

// Files larger than this are sent as they are unless a precompressed `.gz` sits beside them:
// compressing happens on the event loop, once per file and loop.
inline constexpr uint64_t kMaxGzipFileBytes = 1 << 20;
// Bytes of gzip copies one loop keeps.
inline constexpr size_t kGzipCacheBytes = 16 << 20;
// Files one loop holds open for answers in flight; past it a request gets 503.
inline constexpr int kMaxOpenFiles = 256;

struct StaticRequest {
  std::string_view method;
  std::string_view target;  // as received: path and query, percent-encoded
  std::string_view if_none_match;
  std::string_view accept_encoding;
};

struct StaticResponse {
  int status = 200;
  // Lowercase names; no content-length (the codec sets it from content_length).
  Headers headers;
  uint64_t content_length = 0;
  // Null when there are no body bytes (304, 301). A HEAD request gets the GET answer, its
  // body left unread by the codec.
  std::unique_ptr<Body> body;
};

class StaticFiles {
 public:
  // The root must be a directory now; symbolic links in it are followed only while they stay
  // inside it.
  static absl::StatusOr<std::shared_ptr<StaticFiles>> Create(const StaticConfig& config);

  // The answer for a request no route claimed, or nullopt when there is no file for it (the
  // codec answers its own 404): a missing file, a directory without index.html, a path that
  // leaves the root or names a hidden file. GET and HEAD only; another method on a file is 405.
  std::optional<StaticResponse> Answer(const StaticRequest& request);

  const std::string& root() const { return root_; }
  int open_files() const { return open_files_->load(); }
  const GzipCache& gzip_cache() const { return cache_; }

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)), cache_(kGzipCacheBytes) {}
  // The real path of `path` when it exists inside the root, else nullopt.
  std::optional<std::string> Inside(const std::string& path) const;
  // The body and headers of a file found at `real_path` (size and time from stat).
  std::optional<StaticResponse> AnswerFile(const StaticRequest& request,
                                           const std::string& real_path);

  std::string root_;  // real path, no trailing slash
  GzipCache cache_;
  std::shared_ptr<std::atomic<int>> open_files_ = std::make_shared<std::atomic<int>>(0);
};

// A short plain-text answer (the 400, 405 and 503 the files give).
StaticResponse TextResponse(int status, std::string text, Headers extra = {});

}  // namespace switchboard::gateway::static_files
