// The key set of a provider configured with `jwks_uri`: fetched over HTTPS on a thread of its
// own (never on an event loop), refreshed every `jwks_refresh` and at once (at most once per
// `min_refetch`) when a token names a kid the set lacks. A failed fetch keeps the last good set
// and says why in one log line. Readers on any thread get the current set without waiting for
// a fetch: it is swapped whole, as a shared_ptr.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/auth/https_fetch.h"
#include "gateway/auth/jwks.h"

namespace switchboard::gateway::auth {

struct JwksFetchOptions {
  static constexpr std::chrono::seconds kDefaultRefresh{300};
  // An attacker naming random kids gets at most one fetch per this; so does a start with the
  // key server down (retries until the first set arrives).
  static constexpr std::chrono::seconds kDefaultMinRefetch{30};
  static constexpr std::chrono::seconds kDefaultTimeout{10};
  // Below this a refresh interval is a typo that would hammer the key server.
  static constexpr std::chrono::seconds kMinRefresh{1};
  // And below this a min_refetch would let every unknown kid cost a fetch.
  static constexpr std::chrono::milliseconds kMinMinRefetch{100};

  HttpsUrl url;
  std::string ca_file;  // PEM roots for the key server; empty: the system's
  std::chrono::milliseconds refresh = kDefaultRefresh;
  std::chrono::milliseconds min_refetch = kDefaultMinRefetch;
  std::chrono::milliseconds timeout = kDefaultTimeout;
  size_t max_bytes = kMaxJwksBytes;
};

class JwksRefresher {
 public:
  // Reads ca_file now (an error names it); nothing is fetched before Start.
  static absl::StatusOr<std::shared_ptr<JwksRefresher>> Create(std::string provider,
                                                               JwksFetchOptions options);
  // Stops the thread, ending a fetch in progress.
  ~JwksRefresher();
  JwksRefresher(const JwksRefresher&) = delete;
  JwksRefresher& operator=(const JwksRefresher&) = delete;

  // Starts the fetching thread (once; later calls do nothing). The first fetch begins at once.
  void Start();
  // The last good key set; null until the first fetch succeeded. Any thread, never blocks on
  // a fetch.
  std::shared_ptr<const KeySet> Keys() const { return std::atomic_load(&keys_); }
  // A token named a kid the set lacks: fetch again now, unless a fetch began less than
  // min_refetch ago. Any thread, never waits for the fetch.
  void RequestRefresh();

  const std::string& provider() const { return provider_; }
  const JwksFetchOptions& options() const { return options_; }
  // Fetches tried and fetches that replaced the key set, for tests and /metrics.
  uint64_t attempts() const { return attempts_.load(); }
  uint64_t successes() const { return successes_.load(); }

 private:
  JwksRefresher(std::string provider, JwksFetchOptions options,
                std::shared_ptr<boost::asio::ssl::context> tls);
  void Run();
  // One fetch: swaps the set in on success, logs one line on failure.
  void FetchOnce();

  const std::string provider_;
  const JwksFetchOptions options_;
  HttpsClient client_;
  std::shared_ptr<const KeySet> keys_;  // read and written with std::atomic_load/store only

  std::mutex mutex_;
  std::condition_variable wake_;
  bool started_ = false;
  bool stopping_ = false;
  bool refresh_requested_ = false;
  std::chrono::steady_clock::time_point last_attempt_{};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> successes_{0};
  std::thread thread_;
};

}  // namespace switchboard::gateway::auth
