#include "test_service.h"

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/testing/test.grpc.pb.h"

namespace switchboard::interop {
namespace {

using ::grpc::testing::EchoStatus;
using ::grpc::testing::Empty;
using ::grpc::testing::Payload;
using ::grpc::testing::PayloadType;
using ::grpc::testing::SimpleRequest;
using ::grpc::testing::SimpleResponse;
using ::grpc::testing::StreamingInputCallRequest;
using ::grpc::testing::StreamingInputCallResponse;
using ::grpc::testing::StreamingOutputCallRequest;
using ::grpc::testing::StreamingOutputCallResponse;

// "Echo Metadata": the server sends these request keys back, the first in its initial metadata
// and the second (binary) in its trailing metadata.
constexpr char kEchoInitialKey[] = "x-grpc-test-echo-initial";
constexpr char kEchoTrailingKey[] = "x-grpc-test-echo-trailing-bin";

// Must run before the call's initial metadata is sent, i.e. before its first write or Finish.
void EchoMetadata(grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kEchoInitialKey); it != metadata.end()) {
    context->AddInitialMetadata(kEchoInitialKey, std::string(it->second.data(), it->second.size()));
  }
  if (auto it = metadata.find(kEchoTrailingKey); it != metadata.end()) {
    // grpc++ hands over binary values decoded and encodes them again on the way out.
    context->AddTrailingMetadata(kEchoTrailingKey,
                                 std::string(it->second.data(), it->second.size()));
  }
}

// "Echo Status": a request carrying response_status ends the call with that code and message.
grpc::Status EchoedStatus(const EchoStatus& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), status.message());
}

// A payload of `size` zero bytes; the only type the spec defines is COMPRESSABLE.
grpc::Status FillPayload(PayloadType type, int32_t size, Payload* payload) {
  if (type != ::grpc::testing::COMPRESSABLE) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("response_type ", static_cast<int>(type),
                         ": only COMPRESSABLE (0) is supported")};
  }
  if (size < 0) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("size ", size, ": must not be negative")};
  }
  payload->set_type(type);
  payload->set_body(std::string(static_cast<size_t>(size), '\0'));
  return grpc::Status::OK;
}

// StreamingOutputCall: one response per ResponseParameters, one write at a time, then OK.
class StreamingOutputReactor final : public grpc::ServerWriteReactor<StreamingOutputCallResponse> {
 public:
  StreamingOutputReactor(grpc::CallbackServerContext* context,
                         const StreamingOutputCallRequest& request)
      : request_(request) {
    EchoMetadata(context);
    if (request_.has_response_status()) {
      Finish(EchoedStatus(request_.response_status()));
      return;
    }
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The stream is broken (cancelled, or the client went away): nothing more can arrive.
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed: the stream is over"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (next_ == request_.response_parameters_size()) {
      Finish(grpc::Status::OK);
      return;
    }
    const int32_t size = request_.response_parameters(next_).size();
    if (auto status = FillPayload(request_.response_type(), size, response_.mutable_payload());
        !status.ok()) {
      Finish(status);
      return;
    }
    ++next_;
    StartWrite(&response_);  // last: OnWriteDone may run before this returns
  }

  const StreamingOutputCallRequest request_;
  StreamingOutputCallResponse response_;
  int next_ = 0;
};

// StreamingInputCall: sums the payload bodies until the client half-closes.
class StreamingInputReactor final : public grpc::ServerReadReactor<StreamingInputCallRequest> {
 public:
  StreamingInputReactor(grpc::CallbackServerContext* context, StreamingInputCallResponse* response)
      : context_(context), response_(response) {
    EchoMetadata(context);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (context_->IsCancelled()) {
        Finish(grpc::Status::CANCELLED);  // reaches no one, but the RPC log tells the truth
        return;
      }
      response_->set_aggregated_payload_size(static_cast<int32_t>(total_));
      Finish(grpc::Status::OK);
      return;
    }
    total_ += static_cast<int64_t>(request_.payload().body().size());
    if (total_ > kMaxAggregatedPayloadSize) {
      Finish({grpc::StatusCode::OUT_OF_RANGE,
              absl::StrCat("aggregated payload size ", total_,
                           " exceeds aggregated_payload_size's int32 range")});
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  static constexpr int64_t kMaxAggregatedPayloadSize = std::numeric_limits<int32_t>::max();

  grpc::CallbackServerContext* context_;
  StreamingInputCallResponse* response_;
  StreamingInputCallRequest request_;
  int64_t total_ = 0;
};

// FullDuplexCall: each request is answered (one response per ResponseParameters) before the
// next one is read, so a client that stops reading stops the server reading too. Ends with OK
// after the half-close, or at once with a request's response_status.
class FullDuplexReactor final
    : public grpc::ServerBidiReactor<StreamingOutputCallRequest, StreamingOutputCallResponse> {
 public:
  explicit FullDuplexReactor(grpc::CallbackServerContext* context) : context_(context) {
    EchoMetadata(context);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(context_->IsCancelled() ? grpc::Status::CANCELLED : grpc::Status::OK);
      return;
    }
    if (request_.has_response_status()) {
      // "The server will not process any further messages on the stream."
      Finish(EchoedStatus(request_.response_status()));
      return;
    }
    next_ = 0;
    WriteNextOrRead();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed: the stream is over"));
      return;
    }
    WriteNextOrRead();
  }

  void OnDone() override { delete this; }

 private:
  // Exactly one operation is in flight at a time, and starting it is the last thing done.
  void WriteNextOrRead() {
    if (next_ == request_.response_parameters_size()) {
      StartRead(&request_);
      return;
    }
    const int32_t size = request_.response_parameters(next_).size();
    if (auto status = FillPayload(request_.response_type(), size, response_.mutable_payload());
        !status.ok()) {
      Finish(status);
      return;
    }
    ++next_;
    StartWrite(&response_);
  }

  grpc::CallbackServerContext* context_;
  StreamingOutputCallRequest request_;
  StreamingOutputCallResponse response_;
  int next_ = 0;
};

class TestServiceImpl final : public ::grpc::testing::TestService::CallbackService {
 public:
  grpc::ServerUnaryReactor* EmptyCall(grpc::CallbackServerContext* context, const Empty*,
                                      Empty*) override {
    EchoMetadata(context);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* UnaryCall(grpc::CallbackServerContext* context,
                                      const SimpleRequest* request,
                                      SimpleResponse* response) override {
    EchoMetadata(context);
    auto* reactor = context->DefaultReactor();
    if (request->has_response_status()) {
      reactor->Finish(EchoedStatus(request->response_status()));
    } else {
      reactor->Finish(FillPayload(request->response_type(), request->response_size(),
                                  response->mutable_payload()));
    }
    return reactor;
  }

  grpc::ServerWriteReactor<StreamingOutputCallResponse>* StreamingOutputCall(
      grpc::CallbackServerContext* context, const StreamingOutputCallRequest* request) override {
    return new StreamingOutputReactor(context, *request);
  }

  grpc::ServerReadReactor<StreamingInputCallRequest>* StreamingInputCall(
      grpc::CallbackServerContext* context, StreamingInputCallResponse* response) override {
    return new StreamingInputReactor(context, response);
  }

  grpc::ServerBidiReactor<StreamingOutputCallRequest, StreamingOutputCallResponse>* FullDuplexCall(
      grpc::CallbackServerContext* context) override {
    return new FullDuplexReactor(context);
  }
};

class TestService final : public common::Service {
 public:
  std::vector<grpc::Service*> GrpcServices() override { return {&impl_}; }

 private:
  TestServiceImpl impl_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<common::Service>> MakeTestService(const common::ServiceOptions&) {
  return std::unique_ptr<common::Service>(new TestService());
}

}  // namespace switchboard::interop
