#include "gateway/static_files/gzip_cache.h"

#include <zlib.h>

#include "absl/strings/str_cat.h"

namespace switchboard::gateway::static_files {
namespace {

// windowBits 15 plus 16: a gzip header and trailer instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemoryLevel = 8;

}  // namespace

absl::StatusOr<std::string> Gzip(std::string_view bytes) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, kMemoryLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const size_t written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return absl::InternalError(absl::StrCat("deflate: ", result));
  out.resize(written);
  return out;
}

std::shared_ptr<const std::string> GzipCache::Find(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void GzipCache::Insert(const std::string& key, std::shared_ptr<const std::string> bytes) {
  if (bytes->size() > max_bytes_) return;
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->second->size();
    order_.erase(it->second);
    index_.erase(it);
  }
  while (!order_.empty() && bytes_ + bytes->size() > max_bytes_) {
    bytes_ -= order_.back().second->size();
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  bytes_ += bytes->size();
  order_.emplace_front(key, std::move(bytes));
  index_[key] = order_.begin();
}

}  // namespace switchboard::gateway::static_files
