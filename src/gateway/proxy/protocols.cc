#include "gateway/proxy/protocols.h"

#include <iterator>

#include "gateway/grpcweb/content_type.h"
#include "gateway/grpcweb/grpc_web_stream.h"
#include "gateway/rest/rest_stream.h"

namespace switchboard::gateway {
namespace {

std::unique_ptr<Translation> CreateGrpcWeb(const GatewayContext& context) {
  const Limits& limits = context.config->limits;
  grpcweb::StreamOptions options;
  options.max_message_bytes = static_cast<size_t>(limits.max_message_bytes);
  options.max_header_bytes = static_cast<size_t>(limits.max_header_bytes);
  options.cors = context.web->cors;
  return std::make_unique<grpcweb::GrpcWebStream>(options);
}

std::unique_ptr<Translation> CreateRest(const GatewayContext& context) {
  const Limits& limits = context.config->limits;
  rest::RestStreamOptions options;
  options.max_message_bytes = static_cast<size_t>(limits.max_message_bytes);
  options.max_body_bytes =
      limits.max_body_bytes > 0 ? static_cast<uint64_t>(limits.max_body_bytes) : 0;
  return std::make_unique<rest::RestStream>(*context.web->routes, *context.web->transcoder,
                                            options);
}

bool AnyContentType(std::string_view) { return true; }

const Protocol kProtocols[] = {
    {"grpc-web", grpcweb::IsGrpcWebContentType, false, false, CreateGrpcWeb},
    {"grpc", grpcweb::IsNativeGrpcContentType, true, false, nullptr},
    // Last: JSON, NDJSON, raw bytes, or no body at all.
    {"rest", AnyContentType, false, true, CreateRest},
};

}  // namespace

const Protocol& ProtocolFor(const std::string* content_type) {
  const std::string_view type = content_type != nullptr ? *content_type : std::string_view();
  for (const Protocol& protocol : kProtocols) {
    if (protocol.matches(type)) return protocol;
  }
  return kProtocols[std::size(kProtocols) - 1];
}

}  // namespace switchboard::gateway
