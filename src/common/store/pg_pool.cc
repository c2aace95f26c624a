#include "common/store/pg_pool.h"

#include "absl/strings/str_cat.h"
#include "common/store/store_config.h"

namespace switchboard::common::store {

PgPool::PgPool(PgPoolOptions options, Clock clock)
    : options_(std::move(options)), name_(RedactedUrl(options_.url)), clock_(std::move(clock)) {}

PgPool::~PgPool() = default;

int PgPool::OpenConnections() {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire(absl::Time deadline) {
  const absl::Time wait_until = std::min(deadline, clock_() + options_.max_wait);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    while (idle_.empty() && open_ >= options_.size) {
      if (freed_.wait_until(lock, absl::ToChronoTime(wait_until)) == std::cv_status::timeout &&
          idle_.empty() && open_ >= options_.size) {
        return absl::DeadlineExceededError(
            absl::StrCat("store ", name_, ": all ", options_.size,
                         " connections busy until the deadline (raise store.pool_size)"));
      }
    }
    if (!idle_.empty()) {
      Lease lease{std::move(idle_.back()), true};
      idle_.pop_back();
      return lease;
    }
    ++open_;  // reserved before connecting, so the bound holds while the connect runs
  }
  auto connection = PgConnection::Connect(options_.url, name_);
  if (!connection.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    --open_;
    freed_.notify_one();
    return connection.status();
  }
  return Lease{std::move(*connection), false};
}

void PgPool::Return(Lease lease) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lease.connection->Healthy() && lease.connection->Idle()) {
    idle_.push_back(std::move(lease.connection));
  } else {
    // The next caller opens a fresh one. A dead connection most often means the server
    // restarted, which took the idle ones too: they go now rather than fail a call each.
    lease.connection.reset();
    --open_;
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
  }
  freed_.notify_one();
}

namespace {

// One run of `body`; `safe_to_repeat` tells whether a failure left nothing applied for certain
// (BEGIN failed, or the body only reads).
absl::Status RunOnce(PgConnection& conn, const PgPool::Body& body, bool in_transaction,
                     bool& safe_to_repeat) {
  safe_to_repeat = true;
  if (!in_transaction) return body(conn);
  if (auto begun = conn.Execute("BEGIN"); !begun.ok()) return begun.status();
  safe_to_repeat = false;
  absl::Status status = body(conn);
  if (status.ok()) status = conn.Execute("COMMIT").status();
  if (!status.ok() && conn.Healthy() && !conn.Idle()) conn.Execute("ROLLBACK").IgnoreError();
  return status;
}

}  // namespace

absl::Status PgPool::WithConnection(absl::Time deadline, const Body& body, bool in_transaction) {
  auto lease = Acquire(deadline);
  if (!lease.ok()) return lease.status();
  bool safe_to_repeat = false;
  absl::Status status = RunOnce(*lease->connection, body, in_transaction, safe_to_repeat);
  const bool died_while_idle = !status.ok() && lease->reused && !lease->connection->Healthy();
  Return(std::move(*lease));
  if (!died_while_idle || !safe_to_repeat) return status;
  // A connection from the idle list that the server dropped (a restart) and nothing applied:
  // once more on a fresh connection, so one restart does not fail a call per idle connection.
  auto fresh = Acquire(deadline);
  if (!fresh.ok()) return fresh.status();
  status = RunOnce(*fresh->connection, body, in_transaction, safe_to_repeat);
  Return(std::move(*fresh));
  return status;
}

absl::Status PgPool::InTransaction(absl::Time deadline, const Body& body) {
  absl::Status status;
  for (int attempt = 1; attempt <= options_.transaction_attempts; ++attempt) {
    status = WithConnection(deadline, body, /*in_transaction=*/true);
    if (!IsRetryableConflict(status)) return status;
  }
  return status;
}

absl::Status PgPool::RunIdempotent(absl::Time deadline, const Body& body) {
  return WithConnection(deadline, body, /*in_transaction=*/false);
}

}  // namespace switchboard::common::store
