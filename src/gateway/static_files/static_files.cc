#include "gateway/static_files/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/static_files/content_types.h"
#include "gateway/static_files/negotiation.h"
#include "gateway/static_files/request_path.h"

namespace switchboard::gateway::static_files {
namespace {

constexpr char kIndexFile[] = "index.html";
constexpr char kGzipSuffix[] = ".gz";
constexpr int kRetryAfterSeconds = 1;

std::optional<std::string> RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
  return std::string(resolved);
}

int64_t MtimeNs(const struct stat& info) {
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

// An open regular file, or -1 (its stat in `info`).
int OpenRegular(const std::string& path, struct stat* info) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return -1;
  if (::fstat(fd, info) != 0 || !S_ISREG(info->st_mode)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

absl::StatusOr<std::string> ReadAll(Body& body) {
  std::string bytes(body.remaining(), '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    auto n = body.Read(bytes.data() + filled, bytes.size() - filled);
    if (!n.ok()) return n.status();
    filled += *n;
  }
  return bytes;
}

}  // namespace

StaticResponse TextResponse(int status, std::string text, Headers extra) {
  StaticResponse response;
  response.status = status;
  response.headers = std::move(extra);
  response.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  response.content_length = text.size();
  response.body =
      std::make_unique<MemoryBody>(std::make_shared<const std::string>(std::move(text)));
  return response;
}

absl::StatusOr<std::shared_ptr<StaticFiles>> StaticFiles::Create(const StaticConfig& config) {
  auto real = RealPath(config.root);
  struct stat info {};
  if (!real || ::stat(real->c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("static.root: \"", config.root, "\" is not a directory"));
  }
  if (*real == "/") real->clear();  // paths below it are built as root + "/" + ...
  return std::shared_ptr<StaticFiles>(new StaticFiles(*real));
}

std::optional<std::string> StaticFiles::Inside(const std::string& path) const {
  auto real = RealPath(path);
  if (!real) return std::nullopt;
  // A symbolic link may point anywhere; only what resolves inside the root is served.
  if (*real != root_ && real->compare(0, root_.size() + 1, root_ + "/") != 0) return std::nullopt;
  return real;
}

std::optional<StaticResponse> StaticFiles::Answer(const StaticRequest& request) {
  auto parsed = ParseRequestPath(request.target);
  if (!parsed.ok()) {
    if (parsed.status().code() == absl::StatusCode::kNotFound) return std::nullopt;
    return TextResponse(400, absl::StrCat(parsed.status().message(), "\n"));
  }
  std::string path = root_;
  for (const std::string& segment : parsed->segments) absl::StrAppend(&path, "/", segment);
  auto real = Inside(path.empty() ? "/" : path);
  if (!real) return std::nullopt;
  struct stat info {};
  if (::stat(real->c_str(), &info) != 0) return std::nullopt;
  if (S_ISDIR(info.st_mode)) {
    auto index = Inside(absl::StrCat(*real == "/" ? "" : *real, "/", kIndexFile));
    if (!index) return std::nullopt;  // no listing of a directory
    if (!parsed->trailing_slash) {
      // Relative links in the directory's index.html resolve against the directory itself.
      const size_t query = request.target.find('?');
      StaticResponse redirect;
      redirect.status = 301;
      redirect.headers.emplace_back(
          "location", query == std::string_view::npos
                          ? absl::StrCat(std::string(request.target), "/")
                          : absl::StrCat(std::string(request.target.substr(0, query)), "/",
                                         std::string(request.target.substr(query))));
      return redirect;
    }
    real = std::move(index);
  }
  return AnswerFile(request, *real);
}

std::optional<StaticResponse> StaticFiles::AnswerFile(const StaticRequest& request,
                                                      const std::string& real_path) {
  if (request.method != "GET" && request.method != "HEAD") {
    return TextResponse(405,
                        absl::StrCat("method ", std::string(request.method).substr(0, 16),
                                     " is not allowed for a file; allowed: GET, HEAD\n"),
                        {{"allow", "GET, HEAD"}});
  }
  if (open_files_->load() >= kMaxOpenFiles) {
    return TextResponse(503, "too many files being sent at once; retry shortly\n",
                        {{"retry-after", std::to_string(kRetryAfterSeconds)}});
  }
  struct stat info {};
  int fd = OpenRegular(real_path, &info);
  if (fd < 0) return std::nullopt;
  open_files_->fetch_add(1);
  auto file = std::make_unique<FileBody>(fd, static_cast<uint64_t>(info.st_size), open_files_);

  StaticResponse response;
  const std::string type = ContentTypeOf(real_path);
  response.headers.emplace_back("content-type", type);
  response.headers.emplace_back("cache-control", "no-cache");
  response.headers.emplace_back("x-content-type-options", "nosniff");
  std::string etag = MakeETag(info.st_size, MtimeNs(info), false);
  response.content_length = static_cast<uint64_t>(info.st_size);
  response.body = std::move(file);

  const bool compressible = IsCompressible(type);
  if (compressible) response.headers.emplace_back("vary", "accept-encoding");
  if (compressible && AcceptsGzip(request.accept_encoding)) {
    struct stat gz_info {};
    int gz_fd = -1;
    if (auto gz_path = Inside(real_path + kGzipSuffix)) gz_fd = OpenRegular(*gz_path, &gz_info);
    if (gz_fd >= 0) {
      // A precompressed copy beside the file: sent as it is, however large.
      open_files_->fetch_add(1);
      response.body =
          std::make_unique<FileBody>(gz_fd, static_cast<uint64_t>(gz_info.st_size), open_files_);
      response.content_length = static_cast<uint64_t>(gz_info.st_size);
      etag = MakeETag(gz_info.st_size, MtimeNs(gz_info), true);
      response.headers.emplace_back("content-encoding", "gzip");
    } else if (static_cast<uint64_t>(info.st_size) <= kMaxGzipFileBytes) {
      const std::string gzip_etag = MakeETag(info.st_size, MtimeNs(info), true);
      const std::string key = absl::StrCat(real_path, " ", gzip_etag);
      std::shared_ptr<const std::string> copy = cache_.Find(key);
      if (copy == nullptr) {
        auto plain = ReadAll(*response.body);
        if (!plain.ok()) return TextResponse(500, absl::StrCat(plain.status().message(), "\n"));
        auto compressed = Gzip(*plain);
        // An empty copy remembers a file gzip does not shrink, so it is not tried again.
        copy = std::make_shared<const std::string>(
            compressed.ok() && compressed->size() < plain->size() ? *std::move(compressed) : "");
        cache_.Insert(key, copy);
        // The file was read to its end: what is sent, if not the copy, is what was read.
        response.body =
            std::make_unique<MemoryBody>(std::make_shared<const std::string>(*std::move(plain)));
      }
      if (!copy->empty()) {
        response.body = std::make_unique<MemoryBody>(copy);
        response.content_length = copy->size();
        etag = gzip_etag;
        response.headers.emplace_back("content-encoding", "gzip");
      }
    }
  }
  response.headers.emplace_back("etag", etag);
  if (IfNoneMatchHits(request.if_none_match, etag)) {
    StaticResponse not_modified;
    not_modified.status = 304;
    for (auto& header : response.headers) {
      if (header.first != "content-type" && header.first != "content-encoding") {
        not_modified.headers.push_back(std::move(header));
      }
    }
    return not_modified;
  }
  return response;
}

}  // namespace switchboard::gateway::static_files
