// One libpq connection to PostgreSQL: statements prepared once per connection and run with
// text parameters, errors mapped to absl::Status with the store's name (never its password).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchboard::common::store {

// The rows a statement returned; values are read as text, the way they were sent.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int Rows() const { return PQntuples(result_.get()); }
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  // The row count an INSERT/UPDATE/DELETE touched.
  int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// True for an error that a whole transaction may retry: a serialization failure, a deadlock,
// or a unique key taken by a concurrent transaction of another replica.
bool IsRetryableConflict(const absl::Status& status);

class PgConnection {
 public:
  // `store_name` (a redacted URL) prefixes every error. Unreachable: UNAVAILABLE.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& url,
                                                               const std::string& store_name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters) as it is: for migrations and BEGIN.
  absl::StatusOr<PgResult> Execute(const std::string& sql);
  // Runs `sql` with $1.. bound to `params`, prepared on first use on this connection.
  absl::StatusOr<PgResult> Run(const std::string& sql, const std::vector<std::string>& params);

  // False once the server has gone away: the pool then drops the connection.
  bool Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
  // True outside a transaction block (a transaction that failed and was not rolled back is not).
  bool Idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

 private:
  PgConnection(PGconn* conn, std::string store_name)
      : conn_(conn), store_name_(std::move(store_name)) {}
  absl::StatusOr<PgResult> Check(PGresult* result, const std::string& what);

  PGconn* conn_;
  std::string store_name_;
  std::map<std::string, std::string> prepared_;  // sql -> statement name
};

}  // namespace switchboard::common::store
