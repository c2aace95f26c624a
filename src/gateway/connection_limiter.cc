#include "gateway/connection_limiter.h"

namespace switchboard::gateway {

ConnectionLease::ConnectionLease(std::shared_ptr<ConnectionLimiter> limiter, std::string client)
    : limiter_(std::move(limiter)), client_(std::move(client)) {}

void ConnectionLease::Release() {
  if (!limiter_) return;
  limiter_->Release(client_);
  limiter_.reset();
}

std::shared_ptr<ConnectionLimiter> ConnectionLimiter::Create(int64_t max_total,
                                                             int64_t max_per_client) {
  return std::shared_ptr<ConnectionLimiter>(new ConnectionLimiter(max_total, max_per_client));
}

void ConnectionLimiter::SetLimits(int64_t max_total, int64_t max_per_client) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_total_ = max_total;
  max_per_client_ = max_per_client;
}

std::shared_ptr<ConnectionLease> ConnectionLimiter::Admit(const boost::asio::ip::address& client,
                                                          Refusal* refusal) {
  // IPv4 clients reached over a dual-stack socket count under their IPv4 address.
  const boost::asio::ip::address key =
      client.is_v6() && client.to_v6().is_v4_mapped()
          ? boost::asio::ip::address(
                boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6()))
          : client;
  std::string name = key.to_string();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_ >= max_total_) {
      *refusal = Refusal::kTotal;
      return nullptr;
    }
    auto it = per_client_.find(name);
    if (it != per_client_.end() && it->second >= max_per_client_) {
      *refusal = Refusal::kPerClient;
      return nullptr;
    }
    ++open_;
    if (it == per_client_.end()) {
      per_client_.emplace(name, 1);
    } else {
      ++it->second;
    }
  }
  *refusal = Refusal::kNone;
  return std::make_shared<ConnectionLease>(shared_from_this(), std::move(name));
}

int64_t ConnectionLimiter::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

void ConnectionLimiter::Release(const std::string& client) {
  std::lock_guard<std::mutex> lock(mutex_);
  --open_;
  auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second <= 0) per_client_.erase(it);
}

const char* RefusalLabel(ConnectionLimiter::Refusal refusal) {
  switch (refusal) {
    case ConnectionLimiter::Refusal::kTotal:
      return "max_connections";
    case ConnectionLimiter::Refusal::kPerClient:
      return "max_connections_per_client";
    case ConnectionLimiter::Refusal::kNone:
      break;
  }
  return "none";
}

}  // namespace switchboard::gateway
