#include "services/payment/payment_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/data_dir.h"
#include "common/internal_channel.h"
#include "common/status.h"
#include "services/payment/charge_reactor.h"
#include "services/payment/payment_config.h"
#include "services/payment/payment_rules.h"
#include "switchboard/fraud/v1/fraud.grpc.pb.h"
#include "switchboard/payment/v1/payment.grpc.pb.h"

namespace switchboard::payment {
namespace {

constexpr char kFraudPeer[] = "fraud";
constexpr char kHop[] = "payment";

class PaymentServiceImpl final : public v1::PaymentService::CallbackService {
 public:
  explicit PaymentServiceImpl(ChargeEnvironment env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* Charge(grpc::CallbackServerContext* context,
                                   const v1::ChargeRequest* request,
                                   v1::Payment* response) override {
    return ChargeReactor::Start(context, request, response, env_);
  }

  grpc::ServerUnaryReactor* Refund(grpc::CallbackServerContext* context,
                                   const v1::RefundRequest* request,
                                   v1::Payment* response) override {
    return Answer(context, [&]() -> absl::Status {
      if (auto s = ValidateBookingId(request->booking_id()); !s.ok()) return s;
      auto payment = env_.ledger->Refund(request->booking_id());
      if (payment.ok()) *response = std::move(*payment);
      return payment.status();
    });
  }

  grpc::ServerUnaryReactor* GetPayment(grpc::CallbackServerContext* context,
                                       const v1::GetPaymentRequest* request,
                                       v1::Payment* response) override {
    return Answer(context, [&]() -> absl::Status {
      if (auto s = ValidateBookingId(request->booking_id()); !s.ok()) return s;
      auto payment = env_.ledger->Find(request->booking_id());
      if (!payment.ok()) return payment.status();
      if (!payment->has_value()) {
        return absl::NotFoundError(
            absl::StrCat("booking ", request->booking_id(), " has no payment"));
      }
      *response = std::move(**payment);
      return absl::OkStatus();
    });
  }

 private:
  // Runs a call that finishes at once (quick SQLite work) inside its budget.
  template <typename Work>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, Work&& work) {
    common::CallBudget budget(context, kHop, env_.config->deadline_policy, env_.clock);
    grpc::Status status = budget.CheckNotExpired();
    if (status.ok()) status = common::ToGrpcStatus(work());
    budget.AttachTrace();
    auto* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  ChargeEnvironment env_;
};

class PaymentServiceHost final : public PaymentService {
 public:
  PaymentServiceHost(const PaymentConfig& config, std::unique_ptr<PaymentLedger> ledger,
                     std::unique_ptr<fraud::v1::FraudService::Stub> fraud,
                     common::CallBudget::Clock clock)
      : config_(config),
        ledger_(std::move(ledger)),
        fraud_(std::move(fraud)),
        grpc_service_(ChargeEnvironment{&config_, ledger_.get(), fraud_.get(), &inflight_,
                                        std::move(clock)}) {}

  std::vector<grpc::Service*> GrpcServices() override { return {&grpc_service_}; }
  // Charges waiting on fraud end now with UNAVAILABLE instead of holding up shutdown.
  void BeginShutdown() override { inflight_.CancelAll(); }
  absl::StatusOr<LedgerSummary> Summary() override { return ledger_->Summary(); }

 private:
  const PaymentConfig config_;
  std::unique_ptr<PaymentLedger> ledger_;
  std::unique_ptr<fraud::v1::FraudService::Stub> fraud_;
  common::CancelOnShutdown<grpc::ClientContext> inflight_;
  PaymentServiceImpl grpc_service_;
};

}  // namespace

PaymentService* AsPaymentService(common::Service* service) {
  return dynamic_cast<PaymentService*>(service);
}

absl::StatusOr<std::unique_ptr<common::Service>> MakePaymentService(
    const common::ServiceOptions& options) {
  return MakePaymentServiceWithClocks(options, PaymentClocks());
}

absl::StatusOr<std::unique_ptr<common::Service>> MakePaymentServiceWithClocks(
    const common::ServiceOptions& options, PaymentClocks clocks) {
  auto config = ReadPaymentConfig(options.settings);
  if (!config.ok()) return config.status();
  auto peer = options.peers.find(kFraudPeer);
  if (peer == options.peers.end() || peer->second.empty()) {
    return absl::FailedPreconditionError(
        "services.payment: no address for peer \"fraud\" (payment checks every charge with it)");
  }
  auto path = common::DataPath(options.data_dir, config->database);
  if (!path.ok()) return path.status();
  auto wall = clocks.wall;
  auto ledger = PaymentLedger::Open(*path, [wall] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall().time_since_epoch()).count();
  });
  if (!ledger.ok()) return ledger.status();
  auto fraud = fraud::v1::FraudService::NewStub(common::MakeInternalChannel(
      peer->second, fraud::v1::FraudService::service_full_name(), options.channel_policy));
  return std::unique_ptr<common::Service>(new PaymentServiceHost(
      *config, std::move(*ledger), std::move(fraud), std::move(clocks.wall)));
}

}  // namespace switchboard::payment
