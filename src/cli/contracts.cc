#include "cli/contracts.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <google/protobuf/descriptor.pb.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/health/v1/health.pb.h"
#include "switchboard/booking/v1/booking.pb.h"
#include "switchboard/chat/v1/chat.pb.h"
#include "switchboard/fraud/v1/fraud.pb.h"
#include "switchboard/payment/v1/payment.pb.h"
#include "switchboard/notification/v1/notification.pb.h"
#include "switchboard/stock/v1/stock.pb.h"
#include "switchboard/ticket/v1/ticket.pb.h"
#include "switchboard/upload/v1/upload.pb.h"
#include "switchboard/user/v1/user.pb.h"

namespace switchboard::cli {
namespace {

// Naming one message of each file links its generated code, which registers the file's
// descriptors with the generated pool.
std::vector<const google::protobuf::FileDescriptor*> ContractFiles() {
  return {
      ticket::v1::Event::descriptor()->file(),
      stock::v1::PriceUpdate::descriptor()->file(),
      upload::v1::FileChunk::descriptor()->file(),
      chat::v1::ChatMessage::descriptor()->file(),
      user::v1::User::descriptor()->file(),
      notification::v1::Notification::descriptor()->file(),
      booking::v1::Booking::descriptor()->file(),
      payment::v1::Payment::descriptor()->file(),
      fraud::v1::CheckResult::descriptor()->file(),
      grpc::health::v1::HealthCheckRequest::descriptor()->file(),
  };
}

void AddWithDependencies(const google::protobuf::FileDescriptor* file, std::set<std::string>* seen,
                         google::protobuf::FileDescriptorSet* set) {
  if (!seen->insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    AddWithDependencies(file->dependency(i), seen, set);
  }
  file->CopyTo(set->add_file());
}

std::string Normalize(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> AllServices() {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const auto* file : ContractFiles()) {
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
}

std::string DescriptorSetBytes() {
  google::protobuf::FileDescriptorSet set;
  std::set<std::string> seen;
  for (const auto* file : ContractFiles()) AddWithDependencies(file, &seen, &set);
  return set.SerializeAsString();
}

std::string ShortName(const google::protobuf::ServiceDescriptor* service) {
  // switchboard.<area>.v1
  const std::string& package = service->file()->package();
  const auto first = package.find('.');
  const auto last = package.rfind('.');
  if (first == std::string::npos || last == first) return service->full_name();
  return package.substr(first + 1, last - first - 1);
}

absl::StatusOr<const google::protobuf::ServiceDescriptor*> FindService(const std::string& name) {
  std::vector<std::string> known;
  for (const auto* service : AllServices()) {
    if (ShortName(service) == name || service->full_name() == name) return service;
    known.push_back(ShortName(service));
  }
  return absl::NotFoundError(absl::StrCat("unknown service \"", name,
                                          "\" (known: ", absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
    const google::protobuf::ServiceDescriptor* service, const std::string& name) {
  const std::string wanted = Normalize(name);
  std::vector<const google::protobuf::MethodDescriptor*> prefixed;
  std::vector<std::string> known;
  for (int i = 0; i < service->method_count(); ++i) {
    const auto* method = service->method(i);
    const std::string normalized = Normalize(method->name());
    if (normalized == wanted) return method;
    if (!wanted.empty() && normalized.rfind(wanted, 0) == 0) prefixed.push_back(method);
    known.push_back(method->name());
  }
  if (prefixed.size() == 1) return prefixed.front();
  return absl::NotFoundError(absl::StrCat(prefixed.empty() ? "unknown" : "ambiguous",
                                          " method \"", name, "\" of ", ShortName(service),
                                          " (methods: ", absl::StrJoin(known, ", "), ")"));
}

}  // namespace switchboard::cli
