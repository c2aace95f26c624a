// A server interceptor that writes one structured log line per RPC: method, status, duration.
#pragma once

#include <atomic>
#include <memory>

#include <grpcpp/support/server_interceptor.h>

namespace switchboard::common {

// Failed calls are warnings, except calls cancelled once `shutting_down` is set: streams that
// end because this server stops (health Watch streams, a stock watch) are expected then.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeRpcLogInterceptorFactory(
    std::shared_ptr<const std::atomic<bool>> shutting_down);

}  // namespace switchboard::common
