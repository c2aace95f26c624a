#include "gateway/auth/token_cache.h"

#include <openssl/sha.h>

namespace switchboard::gateway::auth {

std::string TokenCache::KeyOf(std::string_view token) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

std::shared_ptr<const VerifiedToken> TokenCache::Find(const std::string& key, size_t provider,
                                                      int64_t now_unix) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.value.provider != provider) return nullptr;
  if (now_unix >= it->second.value.token->valid_until_unix) {
    order_.erase(it->second.position);
    entries_.erase(it);
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.value.token;
}

void TokenCache::Insert(const std::string& key, CachedToken entry) {
  if (max_entries_ == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.value = std::move(entry);
    order_.splice(order_.begin(), order_, it->second.position);
    return;
  }
  if (entries_.size() >= max_entries_) {
    entries_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(key);
  entries_.emplace(key, Entry{std::move(entry), order_.begin()});
}

size_t TokenCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

}  // namespace switchboard::gateway::auth
