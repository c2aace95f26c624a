#include "gateway/upstream/call_start.h"

#include <chrono>
#include <utility>

#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {

absl::Status StartBackendCall(const GatewayContext& context,
                              const std::shared_ptr<ProxyStream>& stream, const CallStart& start,
                              std::function<void()> on_deadline) {
  auto target = context.router->Resolve(stream->path);
  if (!target.ok()) return target.status();
  auto budget = SettleBudget(target->route->timeouts, start.grpc_timeout, start.body_follows);
  if (!budget.ok()) return budget.status();
  static const Headers kNoMetadata;
  const Headers& metadata = start.metadata != nullptr ? *start.metadata : kNoMetadata;
  const std::chrono::microseconds remaining = *budget;
  const std::string* trace = FindHeader(metadata, "x-deadline-trace");
  stream->trace = trace != nullptr && *trace == "1";
  stream->budget_on_entry = remaining;
  stream->deadline = std::chrono::steady_clock::now() + remaining;
  stream->timer = std::make_unique<boost::asio::steady_timer>(*context.io, stream->deadline);
  stream->timer->async_wait(
      [on_deadline = std::move(on_deadline)](const boost::system::error_code& error) {
        if (!error) on_deadline();
      });
  context.upstreams->Submit(
      *target, stream,
      BackendRequestHeaders(stream->path, stream->authority, metadata, remaining, start.drop));
  return absl::OkStatus();
}

}  // namespace switchboard::gateway
