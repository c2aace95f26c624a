// PaymentService: charges checked by FraudService and recorded in a SQLite ledger, refunds, and
// lookups; every call works to the deadline its caller set (common::CallBudget).
#pragma once

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "common/call_budget.h"
#include "common/service.h"
#include "services/payment/payment_ledger.h"

namespace switchboard::payment {

class PaymentService : public common::Service {
 public:
  // Totals over the ledger, for tests that check it balances.
  virtual absl::StatusOr<LedgerSummary> Summary() = 0;
};

// The PaymentService behind a common::Service made by these factories, else nullptr.
PaymentService* AsPaymentService(common::Service* service);

// Clocks the service reads; tests replace them.
struct PaymentClocks {
  // Deadlines and the ledger's timestamps.
  common::CallBudget::Clock wall = std::chrono::system_clock::now;
};

// Needs options.peers["fraud"]. Settings (block services.payment), defaults in PaymentConfig:
// database ("payment.db"), min_fraud_budget (5ms), max_charge_amount (100000000),
// default_timeout (10s), max_timeout (60s).
absl::StatusOr<std::unique_ptr<common::Service>> MakePaymentService(
    const common::ServiceOptions& options);

absl::StatusOr<std::unique_ptr<common::Service>> MakePaymentServiceWithClocks(
    const common::ServiceOptions& options, PaymentClocks clocks);

}  // namespace switchboard::payment
