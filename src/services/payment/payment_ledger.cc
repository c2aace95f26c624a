#include "services/payment/payment_ledger.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "services/payment/payment_rules.h"

namespace switchboard::payment {
namespace {

constexpr char kIdPrefix[] = "pay";
constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kNanosPerMilli = 1000000;

const std::vector<common::Migration>& Migrations() {
  static const std::vector<common::Migration> kMigrations = {
      {1, "payments table", R"sql(
        CREATE TABLE payments (
          id TEXT PRIMARY KEY,
          booking_id TEXT NOT NULL UNIQUE,
          user_id TEXT NOT NULL,
          amount INTEGER NOT NULL CHECK (amount >= 0),
          currency TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('CHARGED', 'REFUNDED', 'VOIDED')),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
      )sql"},
  };
  return kMigrations;
}

constexpr char kSelectColumns[] =
    "SELECT id, booking_id, user_id, amount, currency, state, created_at FROM payments";

const char* StateName(v1::Payment::State state) {
  switch (state) {
    case v1::Payment::STATE_CHARGED:
      return "CHARGED";
    case v1::Payment::STATE_REFUNDED:
      return "REFUNDED";
    case v1::Payment::STATE_VOIDED:
      return "VOIDED";
    default:
      return "UNSPECIFIED";
  }
}

v1::Payment::State StateFromName(const std::string& name) {
  if (name == "CHARGED") return v1::Payment::STATE_CHARGED;
  if (name == "REFUNDED") return v1::Payment::STATE_REFUNDED;
  if (name == "VOIDED") return v1::Payment::STATE_VOIDED;
  return v1::Payment::STATE_UNSPECIFIED;
}

void SetTimestamp(int64_t unix_ms, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_ms / kMillisPerSecond);
  out->set_nanos(static_cast<int32_t>((unix_ms % kMillisPerSecond) * kNanosPerMilli));
}

v1::Payment PaymentFromRow(const common::Statement& row) {
  v1::Payment payment;
  payment.set_id(row.ColumnText(0));
  payment.set_booking_id(row.ColumnText(1));
  payment.set_user_id(row.ColumnText(2));
  payment.set_amount(row.ColumnInt(3));
  payment.set_currency(row.ColumnText(4));
  payment.set_state(StateFromName(row.ColumnText(5)));
  SetTimestamp(row.ColumnInt(6), payment.mutable_created_at());
  return payment;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PaymentLedger>> PaymentLedger::Open(const std::string& path,
                                                                   UnixMillisClock clock) {
  auto db = common::Database::Open(path);
  if (!db.ok()) return db.status();
  if (auto s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<PaymentLedger>(new PaymentLedger(std::move(*db), std::move(clock)));
}

absl::StatusOr<std::optional<v1::Payment>> PaymentLedger::FindLocked(
    const std::string& booking_id) {
  auto stmt = db_->PrepareCached(absl::StrCat(kSelectColumns, " WHERE booking_id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, booking_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<v1::Payment>();
  return std::optional<v1::Payment>(PaymentFromRow(*stmt));
}

absl::Status PaymentLedger::InsertLocked(const v1::Payment& payment, int64_t now_ms) {
  auto stmt = db_->PrepareCached(
      "INSERT INTO payments (id, booking_id, user_id, amount, currency, state, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, payment.id())
      .Bind(2, payment.booking_id())
      .Bind(3, payment.user_id())
      .Bind(4, payment.amount())
      .Bind(5, payment.currency())
      .Bind(6, StateName(payment.state()))
      .Bind(7, now_ms)
      .Bind(8, now_ms);
  return stmt->Run();
}

absl::StatusOr<std::optional<v1::Payment>> PaymentLedger::Find(const std::string& booking_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  return FindLocked(booking_id);
}

absl::StatusOr<v1::Payment> PaymentLedger::Charge(const v1::ChargeRequest& request,
                                                  const std::function<absl::Status()>& may_commit) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  absl::StatusOr<v1::Payment> result;
  absl::Status status = common::InTransaction(*db_, [&]() -> absl::Status {
    auto existing = FindLocked(request.booking_id());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      result = ResolveExisting(**existing, request);
      return absl::OkStatus();  // nothing written either way
    }
    if (auto s = may_commit(); !s.ok()) return s;
    v1::Payment payment;
    payment.set_id(common::NewId(kIdPrefix));
    payment.set_booking_id(request.booking_id());
    payment.set_user_id(request.user_id());
    payment.set_amount(request.amount());
    payment.set_currency(request.currency());
    payment.set_state(v1::Payment::STATE_CHARGED);
    const int64_t now_ms = clock_();
    SetTimestamp(now_ms, payment.mutable_created_at());
    if (auto s = InsertLocked(payment, now_ms); !s.ok()) return s;
    result = std::move(payment);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::Payment> PaymentLedger::Refund(const std::string& booking_id) {
  std::lock_guard<std::mutex> lock(db_->mutex());
  v1::Payment result;
  absl::Status status = common::InTransaction(*db_, [&]() -> absl::Status {
    auto existing = FindLocked(booking_id);
    if (!existing.ok()) return existing.status();
    const int64_t now_ms = clock_();
    if (!existing->has_value()) {
      // Voids the booking: a Charge still on its way (say, waiting on fraud) must not take money.
      result.set_id(common::NewId(kIdPrefix));
      result.set_booking_id(booking_id);
      result.set_amount(0);
      result.set_state(v1::Payment::STATE_VOIDED);
      SetTimestamp(now_ms, result.mutable_created_at());
      return InsertLocked(result, now_ms);
    }
    result = **existing;
    if (result.state() != v1::Payment::STATE_CHARGED) return absl::OkStatus();
    auto stmt = db_->PrepareCached(
        "UPDATE payments SET state = 'REFUNDED', updated_at = ? WHERE id = ? AND state = "
        "'CHARGED'");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, now_ms).Bind(2, result.id());
    if (auto s = stmt->Run(); !s.ok()) return s;
    result.set_state(v1::Payment::STATE_REFUNDED);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<LedgerSummary> PaymentLedger::Summary() {
  std::lock_guard<std::mutex> lock(db_->mutex());
  auto stmt = db_->Prepare(
      "SELECT state, currency, COUNT(*), COALESCE(SUM(amount), 0) FROM payments "
      "GROUP BY state, currency");
  if (!stmt.ok()) return stmt.status();
  LedgerSummary summary;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const v1::Payment::State state = StateFromName(stmt->ColumnText(0));
    const int64_t count = stmt->ColumnInt(2);
    if (state == v1::Payment::STATE_CHARGED) {
      summary.charged += count;
      summary.charged_amount += stmt->ColumnInt(3);
      summary.charged_by_currency[stmt->ColumnText(1)] += stmt->ColumnInt(3);
    } else if (state == v1::Payment::STATE_REFUNDED) {
      summary.refunded += count;
    } else if (state == v1::Payment::STATE_VOIDED) {
      summary.voided += count;
    }
  }
  return summary;
}

}  // namespace switchboard::payment
