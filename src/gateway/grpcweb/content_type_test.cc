#include "content_type.h"

#include <gtest/gtest.h>

namespace switchboard::gateway::grpcweb {
namespace {

TEST(ContentType, Classifies) {
  struct Case {
    std::string value;
    ContentTypeKind kind;
  };
  const Case cases[] = {
      {"application/grpc-web", ContentTypeKind::kGrpcWeb},
      {"application/grpc-web+proto", ContentTypeKind::kGrpcWeb},
      {"Application/GRPC-Web+Proto", ContentTypeKind::kGrpcWeb},
      {"application/grpc-web; charset=utf-8", ContentTypeKind::kGrpcWeb},
      {"  application/grpc-web+proto ;charset=UTF-8", ContentTypeKind::kGrpcWeb},
      {"application/grpc-web-text", ContentTypeKind::kGrpcWebText},
      {"application/grpc-web-text+proto", ContentTypeKind::kGrpcWebText},
      {"APPLICATION/GRPC-WEB-TEXT;charset=utf-8", ContentTypeKind::kGrpcWebText},
      {"application/grpc-web-text-base64", ContentTypeKind::kGrpcWebText},
      {"application/grpc-web+json", ContentTypeKind::kGrpcWebOtherCodec},
      {"application/grpc-web+thrift", ContentTypeKind::kGrpcWebOtherCodec},
      {"application/grpc-web-text+json", ContentTypeKind::kGrpcWebOtherCodec},
      {"application/grpc-web+", ContentTypeKind::kNotGrpcWeb},
      {"application/grpc-web+pro to", ContentTypeKind::kNotGrpcWeb},
      {"application/grpc-webfoo", ContentTypeKind::kNotGrpcWeb},
      {"application/grpc-web-textual", ContentTypeKind::kNotGrpcWeb},
      {"application/grpc", ContentTypeKind::kNotGrpcWeb},
      {"application/grpc+proto", ContentTypeKind::kNotGrpcWeb},
      {"application/json", ContentTypeKind::kNotGrpcWeb},
      {"text/plain", ContentTypeKind::kNotGrpcWeb},
      {"", ContentTypeKind::kNotGrpcWeb},
      {";", ContentTypeKind::kNotGrpcWeb},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(ClassifyContentType(c.value), c.kind);
    EXPECT_EQ(IsGrpcWebContentType(c.value), c.kind != ContentTypeKind::kNotGrpcWeb);
  }
}

TEST(ContentType, RequestWireFormatExplainsRejections) {
  EXPECT_EQ(*RequestWireFormat("application/grpc-web+proto"), WireFormat::kBinary);
  EXPECT_EQ(*RequestWireFormat("application/grpc-web-text"), WireFormat::kText);

  const auto json = RequestWireFormat("application/grpc-web+json");
  EXPECT_EQ(json.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(json.status().message().find("\"application/grpc-web+json\""), std::string::npos);
  EXPECT_NE(json.status().message().find("proto codec"), std::string::npos);

  const auto plain = RequestWireFormat("text/plain");
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(plain.status().message().find("\"text/plain\" is not gRPC-Web"), std::string::npos);

  // A hostile value is quoted safely and bounded in the message.
  const auto hostile = RequestWireFormat(std::string("x\r\n") + std::string(1000, 'a'));
  EXPECT_NE(hostile.status().message().find("x\\x0d\\x0a"), std::string::npos);
  EXPECT_LT(hostile.status().message().size(), 400u);
}

TEST(ContentType, NativeGrpc) {
  EXPECT_TRUE(IsNativeGrpcContentType("application/grpc"));
  EXPECT_TRUE(IsNativeGrpcContentType("application/grpc+proto"));
  EXPECT_TRUE(IsNativeGrpcContentType("Application/Grpc; charset=utf-8"));
  EXPECT_FALSE(IsNativeGrpcContentType("application/grpc-web"));
  EXPECT_FALSE(IsNativeGrpcContentType("application/grpc+"));
  EXPECT_FALSE(IsNativeGrpcContentType("application/grpcx"));
  EXPECT_FALSE(IsNativeGrpcContentType("text/html"));
}

TEST(ContentType, ResponseFormatFollowsAcceptThenRequest) {
  struct Case {
    const char* accept;  // null: no Accept header
    WireFormat request;
    WireFormat want;
  };
  const Case cases[] = {
      {nullptr, WireFormat::kBinary, WireFormat::kBinary},
      {nullptr, WireFormat::kText, WireFormat::kText},
      {"*/*", WireFormat::kBinary, WireFormat::kBinary},
      {"*/*", WireFormat::kText, WireFormat::kText},
      // What the official client sends in its default text mode.
      {"application/grpc-web-text", WireFormat::kText, WireFormat::kText},
      {"application/grpc-web-text", WireFormat::kBinary, WireFormat::kText},
      {"application/grpc-web-text+proto", WireFormat::kBinary, WireFormat::kText},
      {"application/json, Application/GRPC-Web-Text;q=0.9", WireFormat::kBinary, WireFormat::kText},
      {"application/grpc-web+proto", WireFormat::kText, WireFormat::kBinary},
      {"application/grpc-web, application/grpc-web-text", WireFormat::kBinary, WireFormat::kText},
      {"application/grpc-web+json", WireFormat::kText, WireFormat::kText},
      {"", WireFormat::kText, WireFormat::kText},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.accept ? c.accept : "(none)");
    const std::string accept = c.accept ? c.accept : "";
    EXPECT_EQ(ResponseWireFormat(c.accept ? &accept : nullptr, c.request), c.want);
  }
  EXPECT_EQ(ResponseContentType(WireFormat::kBinary), "application/grpc-web+proto");
  EXPECT_EQ(ResponseContentType(WireFormat::kText), "application/grpc-web-text+proto");
}

}  // namespace
}  // namespace switchboard::gateway::grpcweb
