#include "gateway/upstream/call_start.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "gateway/auth/access_control.h"
#include "gateway/proxy/backend_call.h"
#include "gateway/proxy/router.h"
#include "gateway/upstream/upstream_h2.h"

namespace switchboard::gateway {

namespace {

constexpr char kClientCertSubject[] = "x-client-cert-subject";
constexpr char kClientCertUri[] = "x-client-cert-uri";

void AddClientCertificate(const transport::PeerIdentity* identity, Headers& headers) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const auto& header) {
                                 return header.first == kClientCertSubject ||
                                        header.first == kClientCertUri;
                               }),
                headers.end());
  if (identity == nullptr) return;
  if (!identity->subject.empty()) headers.emplace_back(kClientCertSubject, identity->subject);
  // One header per URI: a certificate may name several (SPIFFE gives one).
  for (const std::string& uri : identity->uris) headers.emplace_back(kClientCertUri, uri);
}

}  // namespace

absl::Status StartBackendCall(const GatewayContext& context,
                              const std::shared_ptr<ProxyStream>& stream, const CallStart& start,
                              std::function<void()> on_deadline) {
  auto target = context.router->Resolve(stream->path);
  if (!target.ok()) return target.status();
  const auth::Admission admission = auth::AdmitCall(context, *target, start, *stream);
  if (!admission.status.ok()) return admission.status;
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
  Headers headers =
      BackendRequestHeaders(stream->path, stream->authority, metadata, remaining, start.drop);
  auth::AddIdentity(context.config->auth, admission, headers);
  AddClientCertificate(start.peer_identity, headers);
  context.upstreams->Submit(*target, stream, std::move(headers));
  return absl::OkStatus();
}

}  // namespace switchboard::gateway
