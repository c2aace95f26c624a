// Verified tokens by the SHA-256 of their text, each until it expires, so that a call with a
// token seen before costs a hash and a look-up instead of a signature check. Bounded in
// entries: the least recently used goes first. Thread-safe (the gateway's workers share it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/auth/jwt_verifier.h"

namespace switchboard::gateway::auth {

struct CachedToken {
  size_t provider = 0;  // index of the provider that verified it
  std::shared_ptr<const VerifiedToken> token;
};

class TokenCache {
 public:
  explicit TokenCache(size_t max_entries) : max_entries_(max_entries) {}

  // The key of `token`: its SHA-256 (the token itself is not kept).
  static std::string KeyOf(std::string_view token);

  // The entry for `key` verified by `provider`, if it is still valid at `now_unix`; an expired
  // entry is dropped.
  std::shared_ptr<const VerifiedToken> Find(const std::string& key, size_t provider,
                                            int64_t now_unix);
  void Insert(const std::string& key, CachedToken entry);
  size_t size() const;

 private:
  using Order = std::list<std::string>;  // most recently used first
  struct Entry {
    CachedToken value;
    Order::iterator position;
  };
  const size_t max_entries_;
  mutable std::mutex mutex_;
  Order order_;                                     // guarded by mutex_
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace switchboard::gateway::auth
