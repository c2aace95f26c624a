// The payment ledger in SQLite (payment.db): one row per booking, CHARGED, REFUNDED or VOIDED.
// Every change is one transaction, so a Refund and a late Charge of a booking never both win.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/sqlite_db.h"
#include "switchboard/payment/v1/payment.pb.h"

namespace switchboard::payment {

// Totals over the ledger, for checks such as "every charged booking is paid exactly once".
struct LedgerSummary {
  int64_t charged_amount = 0;  // sum of CHARGED amounts, all currencies together
  std::map<std::string, int64_t> charged_by_currency;
  int64_t charged = 0;  // rows in each state
  int64_t refunded = 0;
  int64_t voided = 0;
};

class PaymentLedger {
 public:
  // Unix time in milliseconds, for created_at/updated_at.
  using UnixMillisClock = std::function<int64_t()>;

  static absl::StatusOr<std::unique_ptr<PaymentLedger>> Open(const std::string& path,
                                                             UnixMillisClock clock);

  absl::StatusOr<std::optional<v1::Payment>> Find(const std::string& booking_id);

  // In one transaction: an existing payment of the booking answers by ResolveExisting;
  // otherwise `may_commit` is asked (inside the transaction, so nothing changes in between) and,
  // when it says OK, a CHARGED payment is inserted and returned.
  absl::StatusOr<v1::Payment> Charge(const v1::ChargeRequest& request,
                                     const std::function<absl::Status()>& may_commit);

  // In one transaction: CHARGED becomes REFUNDED; no payment yet inserts a VOIDED one (amount 0)
  // so that a later Charge is refused; REFUNDED and VOIDED are returned as they are.
  absl::StatusOr<v1::Payment> Refund(const std::string& booking_id);

  absl::StatusOr<LedgerSummary> Summary();

 private:
  PaymentLedger(std::unique_ptr<common::Database> db, UnixMillisClock clock)
      : db_(std::move(db)), clock_(std::move(clock)) {}
  // The caller holds db_->mutex().
  absl::StatusOr<std::optional<v1::Payment>> FindLocked(const std::string& booking_id);
  absl::Status InsertLocked(const v1::Payment& payment, int64_t now_ms);

  std::unique_ptr<common::Database> db_;
  UnixMillisClock clock_;
};

}  // namespace switchboard::payment
