#include "services/payment/payment_ledger.h"

#include <gtest/gtest.h>

#include "services/payment/payment_test_support.h"
#include "testing/temp_dir.h"

namespace switchboard::payment {
namespace {

constexpr int64_t kNowMs = 1798794000123;

class PaymentLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = PaymentLedger::Open(dir_.path() + "/payment.db", [] { return kNowMs; });
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = std::move(*ledger);
  }

  static absl::Status Yes() { return absl::OkStatus(); }

  switchboard::testing::TempDir dir_;
  std::unique_ptr<PaymentLedger> ledger_;
};

TEST_F(PaymentLedgerTest, ChargeIsRecordedOnceAndReplayed) {
  auto first = ledger_->Charge(ChargeOf("bkg_1"), Yes);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::Payment::STATE_CHARGED);
  EXPECT_EQ(first->created_at().seconds(), kNowMs / 1000);
  EXPECT_EQ(first->created_at().nanos(), 123000000);
  int asked = 0;
  auto again = ledger_->Charge(ChargeOf("bkg_1"), [&] {
    ++asked;
    return absl::OkStatus();
  });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id(), first->id());
  EXPECT_EQ(asked, 0);  // nothing to commit, so nothing to ask
  auto found = ledger_->Find("bkg_1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id(), first->id());
  EXPECT_EQ((*found)->created_at().nanos(), 123000000);
}

TEST_F(PaymentLedgerTest, RefusedCommitWritesNothing) {
  auto refused =
      ledger_->Charge(ChargeOf("bkg_1"), [] { return absl::DeadlineExceededError("too late"); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDeadlineExceeded);
  auto found = ledger_->Find("bkg_1");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(PaymentLedgerTest, RefundOfACharge) {
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_1"), Yes).ok());
  auto refunded = ledger_->Refund("bkg_1");
  ASSERT_TRUE(refunded.ok());
  EXPECT_EQ(refunded->state(), v1::Payment::STATE_REFUNDED);
  EXPECT_EQ(refunded->amount(), 4500);
  auto again = ledger_->Refund("bkg_1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state(), v1::Payment::STATE_REFUNDED);
  EXPECT_EQ(again->id(), refunded->id());
  EXPECT_EQ(ledger_->Charge(ChargeOf("bkg_1"), Yes).status().code(), absl::StatusCode::kAborted);
}

TEST_F(PaymentLedgerTest, RefundBeforeChargeVoidsTheBooking) {
  auto voided = ledger_->Refund("bkg_2");
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->state(), v1::Payment::STATE_VOIDED);
  EXPECT_EQ(voided->amount(), 0);
  EXPECT_EQ(ledger_->Refund("bkg_2")->state(), v1::Payment::STATE_VOIDED);
  auto late = ledger_->Charge(ChargeOf("bkg_2"), Yes);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(late.status().message(), "booking bkg_2 was voided by a refund");
}

TEST_F(PaymentLedgerTest, SummaryCountsStatesAndSumsCharges) {
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_1", 1000), Yes).ok());
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_2", 2000), Yes).ok());
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_3", 300, "usr_1", "GBP"), Yes).ok());
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_4", 7000), Yes).ok());
  ASSERT_TRUE(ledger_->Refund("bkg_4").ok());
  ASSERT_TRUE(ledger_->Refund("bkg_5").ok());
  auto summary = ledger_->Summary();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->charged, 3);
  EXPECT_EQ(summary->refunded, 1);
  EXPECT_EQ(summary->voided, 1);
  EXPECT_EQ(summary->charged_amount, 3300);
  EXPECT_EQ(summary->charged_by_currency.at("EUR"), 3000);
  EXPECT_EQ(summary->charged_by_currency.at("GBP"), 300);
}

TEST_F(PaymentLedgerTest, SurvivesReopening) {
  ASSERT_TRUE(ledger_->Charge(ChargeOf("bkg_1"), Yes).ok());
  ledger_.reset();
  auto reopened = PaymentLedger::Open(dir_.path() + "/payment.db", [] { return kNowMs; });
  ASSERT_TRUE(reopened.ok());
  auto found = (*reopened)->Find("bkg_1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->amount(), 4500);
}

}  // namespace
}  // namespace switchboard::payment
