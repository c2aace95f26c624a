// Limits on client connections (limits.max_connections, limits.max_connections_per_client):
// a connection takes a place at accept, on the listener's loop, and gives it back when it
// closes, on whichever worker served it.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace switchboard::gateway {

class ConnectionLimiter;

// One connection's place under the limits, given back once: by Release (the connection
// closed) or when the last copy goes (the connection object, or the accept-time handler that
// held it, is gone).
class ConnectionLease {
 public:
  ConnectionLease(std::shared_ptr<ConnectionLimiter> limiter, std::string client);
  ~ConnectionLease() { Release(); }
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  void Release();

 private:
  std::shared_ptr<ConnectionLimiter> limiter_;
  std::string client_;
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  enum class Refusal { kNone, kTotal, kPerClient };

  static std::shared_ptr<ConnectionLimiter> Create(int64_t max_total, int64_t max_per_client);
  // A reload's new limits; connections already open over them stay open.
  void SetLimits(int64_t max_total, int64_t max_per_client);
  // A place for a connection from `client`, or null and which limit refused it. Any thread.
  std::shared_ptr<ConnectionLease> Admit(const boost::asio::ip::address& client, Refusal* refusal);
  // Open connections in all (for the log line).
  int64_t open() const;

 private:
  friend class ConnectionLease;
  ConnectionLimiter(int64_t max_total, int64_t max_per_client)
      : max_total_(max_total), max_per_client_(max_per_client) {}
  void Release(const std::string& client);

  mutable std::mutex mutex_;
  int64_t max_total_;       // guarded by mutex_
  int64_t max_per_client_;  // guarded by mutex_
  int64_t open_ = 0;        // guarded by mutex_
  // Open connections by client address. Bounded: an address is in it only while it has an
  // open connection (its entry goes with its last one), so it never holds more than
  // max_connections entries however many addresses an attacker rotates through.
  std::unordered_map<std::string, int64_t> per_client_;  // guarded by mutex_
};

const char* RefusalLabel(ConnectionLimiter::Refusal refusal);

}  // namespace switchboard::gateway
