// The protocol table (proxy/protocols.h): which protocol each content type speaks, what each
// entry lets the codecs do, and the translations it creates from a gateway's context.
#include "gateway/proxy/protocols.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "gateway/gateway_config.h"
#include "gateway/rest/errors.h"
#include "gateway/rest/route_table.h"
#include "gateway/rest/transcoder.h"
#include "google/protobuf/descriptor.h"
#include "switchboard/upload/v1/upload.pb.h"

namespace switchboard::gateway {
namespace {

constexpr char kUploadService[] = "switchboard.upload.v1.UploadService";

TEST(ProtocolsTest, ContentTypeChoosesTheProtocol) {
  struct Case {
    const char* content_type;  // null: the request has none
    std::string protocol;
  } cases[] = {
      {"application/grpc", "grpc"},
      {"application/grpc+proto", "grpc"},
      {"application/grpc-web", "grpc-web"},
      {"application/grpc-web+proto", "grpc-web"},
      {"application/grpc-web-text", "grpc-web"},
      {"application/grpc-web-text+proto", "grpc-web"},
      {"application/json", "rest"},
      {"application/json; charset=utf-8", "rest"},
      {"application/x-ndjson", "rest"},
      {"application/octet-stream", "rest"},
      {"", "rest"},
      {nullptr, "rest"},
  };
  for (const auto& c : cases) {
    const std::string label = c.content_type != nullptr ? c.content_type : "<none>";
    std::string content_type = c.content_type != nullptr ? c.content_type : "";
    const Protocol& protocol = ProtocolFor(c.content_type != nullptr ? &content_type : nullptr);
    EXPECT_EQ(protocol.name, c.protocol) << label;
  }
}

TEST(ProtocolsTest, OnlyNativeGrpcPassesThroughAndOnlyRestIsPlainHttp) {
  const std::string grpc = "application/grpc";
  const std::string grpc_web = "application/grpc-web+proto";
  const std::string json = "application/json";
  struct Case {
    const std::string* content_type;
    bool pass_through;
    bool plain_http;
    bool creates;
  } cases[] = {
      {&grpc, true, false, false},
      {&grpc_web, false, false, true},
      {&json, false, true, true},
      {nullptr, false, true, true},
  };
  for (const auto& c : cases) {
    const Protocol& protocol = ProtocolFor(c.content_type);
    EXPECT_EQ(protocol.pass_through, c.pass_through) << protocol.name;
    EXPECT_EQ(protocol.plain_http, c.plain_http) << protocol.name;
    EXPECT_EQ(protocol.create != nullptr, c.creates) << protocol.name;
  }
}

// A context holding just what the translations read: the config's limits and the web tables,
// built from the contracts linked into this binary.
class ProtocolsCreateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Links upload.proto's descriptor into the generated pool.
    ASSERT_NE(upload::v1::FileChunk::descriptor(), nullptr);
    const auto& pool = *google::protobuf::DescriptorPool::generated_pool();
    auto table = rest::RouteTable::Build(pool, {kUploadService});
    ASSERT_TRUE(table.ok()) << table.status();
    routes_ = std::make_unique<rest::RouteTable>(*std::move(table));
    transcoder_ = std::make_unique<rest::Transcoder>(&pool);
    web_ = {routes_.get(), transcoder_.get(), nullptr, nullptr};
    context_.config = &config_;
    context_.web = &web_;
  }

  GatewayConfig config_;
  std::unique_ptr<rest::RouteTable> routes_;
  std::unique_ptr<rest::Transcoder> transcoder_;
  WebRoutes web_;
  GatewayContext context_{};
};

TEST_F(ProtocolsCreateTest, TranslatedProtocolsCreateTheirTranslation) {
  for (const std::string content_type : {"application/grpc-web+proto", "application/json"}) {
    const Protocol& protocol = ProtocolFor(&content_type);
    ASSERT_NE(protocol.create, nullptr) << content_type;
    std::unique_ptr<Translation> translation = protocol.create(context_);
    ASSERT_NE(translation, nullptr) << content_type;
    EXPECT_STREQ(translation->protocol(), protocol.name);
  }
}

TEST_F(ProtocolsCreateTest, RestTranslationTakesTheConfiguredBodyLimit) {
  constexpr int64_t kMaxBodyBytes = 100;
  config_.limits.max_body_bytes = kMaxBodyBytes;
  const std::string content_type = "application/x-ndjson";
  std::unique_ptr<Translation> translation = ProtocolFor(&content_type).create(context_);
  ASSERT_NE(translation, nullptr);
  const Headers request = {{":method", "POST"},
                           {":path", "/uploads"},
                           {":authority", "api.example"},
                           {"content-type", content_type},
                           {"content-length", std::to_string(kMaxBodyBytes + 1)}};
  UpstreamRequest upstream;
  absl::Status status = translation->OnRequestHeaders(request, &upstream);
  EXPECT_EQ(rest::HttpStatusFromStatus(status), rest::kHttpPayloadTooLarge) << status;
  EXPECT_EQ(upstream.path, "/switchboard.upload.v1.UploadService/UploadFile");
}

}  // namespace
}  // namespace switchboard::gateway
