#include "cli/generic_call.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/describe.h"

namespace switchboard::cli {
namespace {

// What protobuf's JSON parser says after the path of a field the message does not have.
constexpr char kUnknownFieldError[] = ": Cannot find field.";

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type) {
  const auto* prototype = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

std::string BufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// Waits for the one operation in flight on `cq`; false when it failed.
bool Await(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  return cq.Next(&tag, &ok) && ok;
}

}  // namespace

absl::StatusOr<std::string> JsonToBinary(const google::protobuf::Descriptor* type,
                                         const std::string& json) {
  auto message = NewMessage(type);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, message.get(), options);
  if (!status.ok()) {
    std::string error = absl::StrCat("request is not a valid ", type->full_name(), " in JSON: ",
                                     std::string(status.message()));
    // protobuf names the unknown field ("name: Cannot find field."), not the ones there are.
    const std::string message(status.message());
    const auto unknown = message.find(kUnknownFieldError);
    if (unknown != std::string::npos) {
      const auto* at = MessageAtPath(type, message.substr(0, unknown));
      absl::StrAppend(&error, " ", at->full_name(), " has: ", FieldList(at));
    }
    return absl::InvalidArgumentError(error);
  }
  return message->SerializeAsString();
}

absl::StatusOr<std::string> BinaryToJson(const google::protobuf::Descriptor* type,
                                         const std::string& binary, bool pretty) {
  auto message = NewMessage(type);
  if (!message->ParseFromString(binary)) {
    return absl::DataLossError(absl::StrCat("response is not a valid ", type->full_name()));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(*message, &json, options);
  if (!status.ok()) return absl::InternalError(std::string(status.message()));
  if (!json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

grpc::Status CallGeneric(const std::shared_ptr<grpc::Channel>& channel,
                         const google::protobuf::MethodDescriptor* method,
                         const std::vector<std::string>& requests, grpc::ClientContext* context,
                         bool pretty, std::ostream& out) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  auto call = stub.PrepareCall(context, path, &cq);
  call->StartCall(nullptr);
  bool open = Await(cq);
  for (const auto& request : requests) {
    if (!open) break;
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, nullptr);
    open = Await(cq);
  }
  if (open) {
    call->WritesDone(nullptr);
    Await(cq);
  }
  grpc::Status decode_error;
  while (open) {
    grpc::ByteBuffer buffer;
    call->Read(&buffer, nullptr);
    if (!Await(cq)) break;
    auto json = BinaryToJson(method->output_type(), BufferToString(buffer), pretty);
    if (!json.ok()) {
      decode_error = grpc::Status(grpc::StatusCode::DATA_LOSS, std::string(json.status().message()));
      context->TryCancel();
      break;
    }
    out << *json << "\n" << std::flush;
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  Await(cq);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return decode_error.ok() ? status : decode_error;
}

}  // namespace switchboard::cli
