// Files compressed once with gzip and kept, least recently used dropped first, so that a
// popular file costs its compression once and the cache a bounded number of bytes.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::gateway::static_files {

// `bytes` as one gzip member (RFC 1952), at zlib's default level.
absl::StatusOr<std::string> Gzip(std::string_view bytes);

class GzipCache {
 public:
  explicit GzipCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  // The copy stored under `key` (a file's path and ETag), or null.
  std::shared_ptr<const std::string> Find(const std::string& key);
  // Stores `bytes`, dropping the least recently used copies until all fit; one larger than
  // the whole cache is not stored.
  void Insert(const std::string& key, std::shared_ptr<const std::string> bytes);
  size_t bytes() const { return bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::list<Entry> order_;  // most recently used first
  std::map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace switchboard::gateway::static_files
