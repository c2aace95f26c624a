#include "services/registry.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/booking/booking_service.h"
#include "services/chat/chat_service.h"
#include "services/fraud/fraud_service.h"
#include "services/notification/notification_service.h"
#include "services/payment/payment_service.h"
#include "services/stock/stock_service.h"
#include "services/ticket/ticket_service.h"
#include "services/upload/upload_service.h"
#include "services/user/user_service.h"

namespace switchboard::services {
namespace {

const std::map<std::string, common::ServiceFactory>& Factories() {
  static const std::map<std::string, common::ServiceFactory> kFactories = {
      {"ticket", ticket::MakeTicketService},
      {"user", user::MakeUserService},
      {"notification", notification::MakeNotificationService},
      {"stock", stock::MakeStockService},
      {"fraud", fraud::MakeFraudService},
      {"chat", chat::MakeChatService},
      {"booking", booking::MakeBookingService},
      {"upload", upload::MakeUploadService},
      {"payment", payment::MakePaymentService},
  };
  return kFactories;
}

}  // namespace

absl::StatusOr<common::ServiceFactory> FindService(const std::string& name) {
  auto it = Factories().find(name);
  if (it == Factories().end()) {
    return absl::NotFoundError(absl::StrCat("unknown service \"", name,
                                            "\" (known: ", absl::StrJoin(ServiceNames(), ", "),
                                            ")"));
  }
  return it->second;
}

std::vector<std::string> ServiceNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Factories()) names.push_back(name);
  return names;
}

}  // namespace switchboard::services
