// The gRPC interop cases (grpc/grpc doc/interop-test-descriptions.md), each asserting what the
// spec has the client assert, made with grpc++ stubs through the edge gateway in front of an
// in-process grpc.testing.TestService. Tests are named after the spec's cases.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/gateway_server.h"
#include "grpc/testing/test.grpc.pb.h"
#include "test_service.h"
#include "testing/test_server.h"

namespace switchboard::interop {
namespace {

using ::grpc::testing::Empty;
using ::grpc::testing::SimpleRequest;
using ::grpc::testing::SimpleResponse;
using ::grpc::testing::StreamingInputCallRequest;
using ::grpc::testing::StreamingInputCallResponse;
using ::grpc::testing::StreamingOutputCallRequest;
using ::grpc::testing::StreamingOutputCallResponse;
using ::grpc::testing::TestService;
using ::grpc::testing::UnimplementedService;

// Generous for loopback; only timeout_on_sleeping_server sets its own (1 ms).
constexpr std::chrono::seconds kCallDeadline{10};

// The sizes the spec fixes.
constexpr int kLargeRequestBytes = 271828;
constexpr int kLargeResponseBytes = 314159;
const std::vector<int> kClientStreamingSizes = {27182, 8, 1828, 45904};
constexpr int kClientStreamingTotal = 74922;
const std::vector<int> kServerStreamingSizes = {31415, 9, 2653, 58979};

constexpr char kEchoInitialKey[] = "x-grpc-test-echo-initial";
constexpr char kEchoInitialValue[] = "test_initial_metadata_value";
constexpr char kEchoTrailingKey[] = "x-grpc-test-echo-trailing-bin";
const std::string kEchoTrailingValue("\xab\xab\xab", 3);

constexpr int kEchoedCode = 2;  // UNKNOWN
constexpr char kTestStatusMessage[] = "test status message";
// special_status_message: "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n".
constexpr char kSpecialStatusMessage[] =
    "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n";

std::string Zeros(int n) { return std::string(static_cast<size_t>(n), '\0'); }

// The value of `key` in `metadata`, or nullptr.
const grpc::string_ref* Find(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                             const char* key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

std::string ToString(const grpc::string_ref& ref) { return std::string(ref.data(), ref.size()); }

class InteropCases : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::GatewayConfig config;
    config.listen_port = 0;
    config.descriptors = {SB_DESCRIPTOR_SET};
    // grpc.testing.UnimplementedService is deliberately not routed: the gateway answers it.
    gateway::ServiceRoute route;
    route.name = "grpc.testing.TestService";
    route.backends = {gateway::Backend{"127.0.0.1", BackendPort()}};
    config.services[route.name] = route;
    auto server = gateway::GatewayServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    gateway_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = TestService::NewStub(channel_);
  }

  uint16_t BackendPort() const {
    const std::string address = backend_.address();
    return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }

  static void SetDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  }

  static StreamingOutputCallRequest OutputRequest(int response_size, int payload_size) {
    StreamingOutputCallRequest request;
    request.add_response_parameters()->set_size(response_size);
    request.mutable_payload()->set_body(Zeros(payload_size));
    return request;
  }

  static void ExpectEchoedMetadata(const grpc::ClientContext& context, const char* step) {
    const auto* initial = Find(context.GetServerInitialMetadata(), kEchoInitialKey);
    ASSERT_NE(initial, nullptr) << step << ": no " << kEchoInitialKey << " in initial metadata";
    EXPECT_EQ(ToString(*initial), kEchoInitialValue) << step;
    const auto* trailing = Find(context.GetServerTrailingMetadata(), kEchoTrailingKey);
    ASSERT_NE(trailing, nullptr) << step << ": no " << kEchoTrailingKey << " in trailing metadata";
    EXPECT_EQ(ToString(*trailing), kEchoTrailingValue) << step;
  }

  switchboard::testing::TestServer backend_{MakeTestService};
  std::unique_ptr<gateway::GatewayServer> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestService::Stub> stub_;
};

TEST_F(InteropCases, empty_unary) {
  grpc::ClientContext context;
  SetDeadline(context);
  Empty request;
  Empty response;
  const grpc::Status status = stub_->EmptyCall(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.ByteSizeLong(), 0u);
}

TEST_F(InteropCases, large_unary) {
  grpc::ClientContext context;
  SetDeadline(context);
  SimpleRequest request;
  request.set_response_size(kLargeResponseBytes);
  request.mutable_payload()->set_body(Zeros(kLargeRequestBytes));
  SimpleResponse response;
  const grpc::Status status = stub_->UnaryCall(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  ASSERT_EQ(response.payload().body().size(), static_cast<size_t>(kLargeResponseBytes));
  EXPECT_EQ(response.payload().body(), Zeros(kLargeResponseBytes));
}

TEST_F(InteropCases, client_streaming) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingInputCallResponse response;
  auto writer = stub_->StreamingInputCall(&context, &response);
  for (int size : kClientStreamingSizes) {
    StreamingInputCallRequest request;
    request.mutable_payload()->set_body(Zeros(size));
    ASSERT_TRUE(writer->Write(request)) << "write of " << size << " bytes failed";
  }
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.aggregated_payload_size(), kClientStreamingTotal);
}

TEST_F(InteropCases, server_streaming) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingOutputCallRequest request;
  for (int size : kServerStreamingSizes) request.add_response_parameters()->set_size(size);
  auto reader = stub_->StreamingOutputCall(&context, request);
  std::vector<size_t> sizes;
  StreamingOutputCallResponse response;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.payload().body(), Zeros(static_cast<int>(response.payload().body().size())));
    sizes.push_back(response.payload().body().size());
  }
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(sizes, std::vector<size_t>(kServerStreamingSizes.begin(), kServerStreamingSizes.end()));
}

TEST_F(InteropCases, ping_pong) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  for (size_t i = 0; i < kServerStreamingSizes.size(); ++i) {
    ASSERT_TRUE(stream->Write(OutputRequest(kServerStreamingSizes[i], kClientStreamingSizes[i])))
        << "write " << i << " failed";
    StreamingOutputCallResponse response;
    ASSERT_TRUE(stream->Read(&response)) << "no reply to request " << i;
    EXPECT_EQ(response.payload().body(), Zeros(kServerStreamingSizes[i])) << "reply " << i;
  }
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse extra;
  EXPECT_FALSE(stream->Read(&extra)) << "more than four responses";
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
}

TEST_F(InteropCases, empty_stream) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  ASSERT_TRUE(stream->WritesDone());
  StreamingOutputCallResponse response;
  EXPECT_FALSE(stream->Read(&response)) << "a response to an empty stream";
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
}

TEST_F(InteropCases, timeout_on_sleeping_server) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1));
  auto stream = stub_->FullDuplexCall(&context);
  StreamingOutputCallRequest request;
  request.mutable_payload()->set_body(Zeros(27182));
  stream->Write(request);  // may already fail: the deadline can pass before it is sent
  StreamingOutputCallResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
}

TEST_F(InteropCases, cancel_after_begin) {
  grpc::ClientContext context;
  SetDeadline(context);
  StreamingInputCallResponse response;
  auto writer = stub_->StreamingInputCall(&context, &response);
  context.TryCancel();
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
}

TEST_F(InteropCases, cancel_after_first_response) {
  grpc::ClientContext context;
  SetDeadline(context);
  auto stream = stub_->FullDuplexCall(&context);
  ASSERT_TRUE(stream->Write(OutputRequest(31415, 27182)));
  StreamingOutputCallResponse response;
  ASSERT_TRUE(stream->Read(&response)) << "no first response";
  EXPECT_EQ(response.payload().body().size(), 31415u);
  context.TryCancel();
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
}

TEST_F(InteropCases, custom_metadata) {
  {
    grpc::ClientContext context;
    SetDeadline(context);
    context.AddMetadata(kEchoInitialKey, kEchoInitialValue);
    context.AddMetadata(kEchoTrailingKey, kEchoTrailingValue);
    SimpleRequest request;
    request.set_response_size(kLargeResponseBytes);
    request.mutable_payload()->set_body(Zeros(kLargeRequestBytes));
    SimpleResponse response;
    const grpc::Status status = stub_->UnaryCall(&context, request, &response);
    ASSERT_TRUE(status.ok()) << "UnaryCall: " << status.error_code() << ": "
                             << status.error_message();
    EXPECT_EQ(response.payload().body().size(), static_cast<size_t>(kLargeResponseBytes));
    ExpectEchoedMetadata(context, "UnaryCall");
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    context.AddMetadata(kEchoInitialKey, kEchoInitialValue);
    context.AddMetadata(kEchoTrailingKey, kEchoTrailingValue);
    auto stream = stub_->FullDuplexCall(&context);
    ASSERT_TRUE(stream->Write(OutputRequest(kLargeResponseBytes, kLargeRequestBytes)));
    ASSERT_TRUE(stream->WritesDone());
    StreamingOutputCallResponse response;
    ASSERT_TRUE(stream->Read(&response)) << "FullDuplexCall: no response";
    EXPECT_EQ(response.payload().body().size(), static_cast<size_t>(kLargeResponseBytes));
    EXPECT_FALSE(stream->Read(&response)) << "FullDuplexCall: more than one response";
    const grpc::Status status = stream->Finish();
    ASSERT_TRUE(status.ok()) << "FullDuplexCall: " << status.error_code() << ": "
                             << status.error_message();
    ExpectEchoedMetadata(context, "FullDuplexCall");
  }
}

TEST_F(InteropCases, status_code_and_message) {
  {
    grpc::ClientContext context;
    SetDeadline(context);
    SimpleRequest request;
    request.mutable_response_status()->set_code(kEchoedCode);
    request.mutable_response_status()->set_message(kTestStatusMessage);
    SimpleResponse response;
    const grpc::Status status = stub_->UnaryCall(&context, request, &response);
    EXPECT_EQ(static_cast<int>(status.error_code()), kEchoedCode) << "UnaryCall";
    EXPECT_EQ(status.error_message(), kTestStatusMessage) << "UnaryCall";
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = stub_->FullDuplexCall(&context);
    StreamingOutputCallRequest request;
    request.mutable_response_status()->set_code(kEchoedCode);
    request.mutable_response_status()->set_message(kTestStatusMessage);
    ASSERT_TRUE(stream->Write(request));
    stream->WritesDone();  // may fail once the server has already ended the call
    StreamingOutputCallResponse response;
    while (stream->Read(&response)) {
    }
    const grpc::Status status = stream->Finish();
    EXPECT_EQ(static_cast<int>(status.error_code()), kEchoedCode) << "FullDuplexCall";
    EXPECT_EQ(status.error_message(), kTestStatusMessage) << "FullDuplexCall";
  }
}

TEST_F(InteropCases, special_status_message) {
  grpc::ClientContext context;
  SetDeadline(context);
  SimpleRequest request;
  request.mutable_response_status()->set_code(kEchoedCode);
  request.mutable_response_status()->set_message(kSpecialStatusMessage);
  SimpleResponse response;
  const grpc::Status status = stub_->UnaryCall(&context, request, &response);
  EXPECT_EQ(static_cast<int>(status.error_code()), kEchoedCode);
  EXPECT_EQ(status.error_message(), kSpecialStatusMessage);
}

TEST_F(InteropCases, unimplemented_method) {
  grpc::ClientContext context;
  SetDeadline(context);
  Empty request;
  Empty response;
  const grpc::Status status = stub_->UnimplementedCall(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
}

TEST_F(InteropCases, unimplemented_service) {
  auto stub = UnimplementedService::NewStub(channel_);
  grpc::ClientContext context;
  SetDeadline(context);
  Empty request;
  Empty response;
  const grpc::Status status = stub->UnimplementedCall(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
}

}  // namespace
}  // namespace switchboard::interop
