#include "common/store/pg_connection.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace switchboard::common::store {
namespace {

// Seconds libpq waits for a TCP connection before reporting the store unreachable.
constexpr int kConnectTimeoutSeconds = 2;
constexpr char kRetryablePayload[] = "switchboard.store/retryable-conflict";

// SQLSTATE classes and codes (PostgreSQL appendix A).
constexpr absl::string_view kConnectionExceptionClass = "08";
constexpr absl::string_view kOperatorInterventionClass = "57";
constexpr absl::string_view kUniqueViolation = "23505";
constexpr absl::string_view kCheckViolation = "23514";
constexpr absl::string_view kSerializationFailure = "40001";
constexpr absl::string_view kDeadlockDetected = "40P01";
constexpr absl::string_view kQueryCanceled = "57014";

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// a status message is one line.
std::string TrimmedMessage(const char* message) {
  std::string text = message != nullptr ? message : "";
  for (char& c : text) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return absl::StrReplaceAll(text, {{"  ", " "}});
}

}  // namespace

std::string PgResult::Text(int row, int column) const {
  return PQgetvalue(result_.get(), row, column);
}

int64_t PgResult::Int(int row, int column) const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(PQgetvalue(result_.get(), row, column), &value)) return 0;
  return value;
}

int64_t PgResult::Affected() const {
  int64_t value = 0;
  if (!absl::SimpleAtoi(PQcmdTuples(result_.get()), &value)) return 0;
  return value;
}

bool IsRetryableConflict(const absl::Status& status) {
  return status.GetPayload(kRetryablePayload).has_value();
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url,
                                                                    const std::string& store_name) {
  // Keywords after the URL override it: a short connect timeout so a down server is reported
  // within a call's deadline.
  const std::string connect_timeout = absl::StrCat(kConnectTimeoutSeconds);
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), connect_timeout.c_str(), "switchboard", nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("store ", store_name, ": out of memory"));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = TrimmedMessage(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("store ", store_name, ": ", message));
  }
  // Server notices ("relation already exists, skipping") are not errors: not printed.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, store_name));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::StatusOr<PgResult> PgConnection::Check(PGresult* raw, const std::string& what) {
  PgResult result(raw);
  const ExecStatusType status = PQresultStatus(raw);
  if (raw != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return result;
  const std::string message = absl::StrCat(
      "store ", store_name_, ": ", what, ": ",
      TrimmedMessage(raw != nullptr ? PQresultErrorMessage(raw) : PQerrorMessage(conn_)));
  const char* state = raw != nullptr ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const absl::string_view sqlstate = state != nullptr ? state : "";
  if (!Healthy() || sqlstate.substr(0, 2) == kConnectionExceptionClass ||
      (sqlstate.substr(0, 2) == kOperatorInterventionClass && sqlstate != kQueryCanceled)) {
    return absl::UnavailableError(message);
  }
  if (sqlstate == kUniqueViolation || sqlstate == kSerializationFailure ||
      sqlstate == kDeadlockDetected) {
    absl::Status conflict = absl::AbortedError(message);
    conflict.SetPayload(kRetryablePayload, absl::Cord(sqlstate));
    return conflict;
  }
  if (sqlstate == kCheckViolation) return absl::FailedPreconditionError(message);
  if (sqlstate == kQueryCanceled) return absl::DeadlineExceededError(message);
  return absl::InternalError(message);
}

absl::StatusOr<PgResult> PgConnection::Execute(const std::string& sql) {
  return Check(PQexec(conn_, sql.c_str()), "statement failed");
}

absl::StatusOr<PgResult> PgConnection::Run(const std::string& sql,
                                           const std::vector<std::string>& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = absl::StrCat("s", prepared_.size() + 1);
    auto prepared = Check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr),
                          absl::StrCat("prepare \"", sql, "\""));
    if (!prepared.ok()) return prepared.status();
    it = prepared_.emplace(sql, name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return Check(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0),
               "query failed");
}

}  // namespace switchboard::common::store
