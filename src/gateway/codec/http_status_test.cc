#include "gateway/codec/http_status.h"

#include <gtest/gtest.h>

#include "gateway/codec/status_codes.h"

namespace switchboard::gateway {
namespace {

TEST(HttpStatus, MapsAsGrpcClientsDoWithoutGrpcStatus) {
  const struct {
    int http;
    int grpc;
  } cases[] = {
      {400, kGrpcInternal},      {401, kGrpcUnauthenticated}, {403, kGrpcPermissionDenied},
      {404, kGrpcUnimplemented}, {429, kGrpcUnavailable},     {502, kGrpcUnavailable},
      {503, kGrpcUnavailable},   {504, kGrpcUnavailable},     {500, kGrpcUnknown},
      {200, kGrpcUnknown},       {418, kGrpcUnknown},
  };
  for (const auto& c : cases) EXPECT_EQ(GrpcCodeOfHttpStatus(c.http), c.grpc) << c.http;
}

TEST(HttpStatus, ParsesThreeDigitsOnly) {
  const std::string ok = "404", short_value = "40", long_value = "4040", letters = "4x4";
  EXPECT_EQ(ParseHttpStatus(&ok), 404);
  EXPECT_EQ(ParseHttpStatus(&short_value), -1);
  EXPECT_EQ(ParseHttpStatus(&long_value), -1);
  EXPECT_EQ(ParseHttpStatus(&letters), -1);
  EXPECT_EQ(ParseHttpStatus(nullptr), -1);
}

}  // namespace
}  // namespace switchboard::gateway
