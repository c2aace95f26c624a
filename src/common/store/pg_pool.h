// A bounded pool of PostgreSQL connections shared by a service's calls: at most `size` open,
// a caller waits for a free one no longer than its deadline, broken connections are dropped and
// replaced on the next call, so the pool recovers by itself after a server restart.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/pg_connection.h"
#include "common/store/store_config.h"

namespace switchboard::common::store {

struct PgPoolOptions {
  static constexpr absl::Duration kDefaultMaxWait = absl::Seconds(5);
  static constexpr int kDefaultTransactionAttempts = 5;

  std::string url;  // postgres://...; may hold a password, so never printed
  int size = kDefaultPoolSize;
  // A wait for a connection ends at the caller's deadline or after this, whichever is first.
  absl::Duration max_wait = kDefaultMaxWait;
  // Runs of a transaction that lost a race with another replica (unique key, deadlock).
  int transaction_attempts = kDefaultTransactionAttempts;
};

class PgPool {
 public:
  using Clock = std::function<absl::Time()>;
  using Body = std::function<absl::Status(PgConnection&)>;

  explicit PgPool(PgPoolOptions options, Clock clock = absl::Now);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // The redacted URL, for messages.
  const std::string& name() const { return name_; }

  // Runs `body` inside BEGIN/COMMIT on one connection, rolled back when it fails; run again
  // from the start when it lost a race with another transaction. UNAVAILABLE when the server is
  // down, DEADLINE_EXCEEDED when no connection came free before `deadline`.
  absl::Status InTransaction(absl::Time deadline, const Body& body);
  // Runs `body` outside a transaction. It may run twice (a pooled connection found dead), so
  // it only reads or writes what a second run leaves the same.
  absl::Status RunIdempotent(absl::Time deadline, const Body& body);

  // Connections open now (idle and in use), for tests.
  int OpenConnections();

 private:
  struct Lease {
    std::unique_ptr<PgConnection> connection;
    bool reused = false;  // came from the idle list: may have died while it sat there
  };
  absl::StatusOr<Lease> Acquire(absl::Time deadline);
  void Return(Lease lease);
  // Runs `body` on a leased connection; a reused connection that turns out dead before any
  // statement reached the server is replaced once, as nothing was done.
  absl::Status WithConnection(absl::Time deadline, const Body& body, bool in_transaction);

  const PgPoolOptions options_;
  const std::string name_;
  const Clock clock_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle plus leased plus being opened
};

}  // namespace switchboard::common::store
