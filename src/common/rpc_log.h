// A server interceptor that writes one structured log line per RPC: method, status, duration.
#pragma once

#include <memory>

#include <grpcpp/support/server_interceptor.h>

namespace switchboard::common {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcLogInterceptorFactory();

}  // namespace switchboard::common
