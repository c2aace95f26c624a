#include "xds/ads_server.h"

#include <spdlog/spdlog.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchboard::xds {
namespace {

// Per-stream limits: a client asking for more names or types than this is misbehaving.
constexpr size_t kMaxNamesPerType = 1024;
constexpr char kWildcardName[] = "*";

}  // namespace

// One ADS stream. Reads and writes run independently; at most one write is in flight, and the
// next response for a type is built only when it is written, so a burst of registry changes
// costs one response per type, not one per change.
class AdsServer::Stream final
    : public grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  Stream(AdsServer* server, std::string peer) : server_(server), peer_(std::move(peer)) {
    StartRead(&request_);
  }

  // Called with the server's streams lock held.
  void Poke() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [type, state] : types_) dirty_.insert(type);
    MaybeWriteLocked();
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    MaybeWriteLocked();
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ok) {
      // The client half-closed or the stream broke: finish once the write in flight is done.
      closing_ = true;
      MaybeWriteLocked();
      return;
    }
    if (grpc::Status status = HandleRequestLocked(request_); !status.ok()) {
      spdlog::warn("xds ads peer={} bad request: {}", peer_, status.error_message());
      closing_ = true;
      final_status_ = status;
      MaybeWriteLocked();
      return;
    }
    MaybeWriteLocked();
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      closing_ = true;
      final_status_ = grpc::Status::CANCELLED;
    }
    MaybeWriteLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    final_status_ = grpc::Status::CANCELLED;
    MaybeWriteLocked();
  }

  void OnDone() override {
    server_->Remove(this);
    delete this;
  }

 private:
  struct TypeState {
    std::set<std::string> names;
    bool wildcard = false;
    // What the last response carried, by name, serialized; compared to skip no-op pushes.
    std::map<std::string, std::string> sent;
    bool ever_sent = false;
    bool ever_requested = false;
    bool force = false;  // the subscription changed: answer even if nothing else did
    uint64_t version = 0;
    std::string nonce;  // of the last response; a request with another one is stale
  };

  grpc::Status HandleRequestLocked(const DiscoveryRequest& request) {
    const std::string& type = request.type_url();
    if (!IsKnownType(type)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("type_url \"", type, "\" is not served here"));
    }
    if (request.resource_names_size() > static_cast<int>(kMaxNamesPerType)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("resource_names has ", request.resource_names_size(),
                                       " names; the limit is ", kMaxNamesPerType));
    }
    if (node_id_.empty() && request.has_node()) node_id_ = request.node().id();
    TypeState& state = types_[type];
    if (!request.response_nonce().empty() && request.response_nonce() != state.nonce) {
      spdlog::debug("xds ads peer={} type={} stale nonce {} (latest {}), ignored", peer_, type,
                    request.response_nonce(), state.nonce);
      return grpc::Status::OK;
    }
    if (request.has_error_detail()) {
      spdlog::warn("xds ads NACK node={} peer={} type={} version={} error={}", node_id_, peer_,
                   type, request.version_info(), request.error_detail().message());
    } else if (!request.response_nonce().empty()) {
      spdlog::debug("xds ads ACK node={} type={} version={}", node_id_, type,
                    request.version_info());
    }
    std::set<std::string> names(request.resource_names().begin(), request.resource_names().end());
    // "*" asks for everything; so does an empty first request (the legacy form). An empty
    // list after names were asked for unsubscribes from all of them.
    bool wildcard = false;
    if (IsWildcardCapable(type)) {
      wildcard = names.erase(kWildcardName) > 0 || (names.empty() && !state.ever_requested);
    }
    state.ever_requested = true;
    if (!state.ever_sent || names != state.names || wildcard != state.wildcard) {
      state.names = std::move(names);
      state.wildcard = wildcard;
      state.force = true;
      dirty_.insert(type);
      spdlog::info("xds ads subscribe node={} peer={} type={} names=[{}]", node_id_, peer_, type,
                   wildcard ? "*" : absl::StrJoin(state.names, ","));
    }
    return grpc::Status::OK;
  }

  // Starts the next write if none is in flight: the first dirty type whose resources changed
  // (or whose subscription did); finishes the stream when closing and idle.
  void MaybeWriteLocked() {
    if (writing_ || finished_) return;
    if (closing_) {
      finished_ = true;
      Finish(final_status_);
      return;
    }
    std::shared_ptr<const ResourceMap> resources;
    while (!dirty_.empty()) {
      const std::string type = *dirty_.begin();
      dirty_.erase(dirty_.begin());
      if (!resources) resources = server_->resources();
      if (BuildResponseLocked(type, *resources)) {
        writing_ = true;
        StartWrite(&response_);
        return;
      }
    }
  }

  // Fills response_ for `type`; false when the client already has exactly this.
  bool BuildResponseLocked(const std::string& type, const ResourceMap& resources) {
    TypeState& state = types_[type];
    std::map<std::string, std::string> current;
    std::vector<const google::protobuf::Any*> selected;
    auto of_type = resources.find(type);
    if (of_type != resources.end()) {
      for (const auto& [name, any] : of_type->second) {
        if (state.wildcard || state.names.count(name) > 0) {
          current[name] = any.SerializeAsString();
          selected.push_back(&any);
        }
      }
    }
    if (state.ever_sent && !state.force && current == state.sent) return false;
    state.force = false;
    state.ever_sent = true;
    state.sent = std::move(current);
    ++state.version;
    state.nonce = std::to_string(++nonce_counter_);
    response_.Clear();
    response_.set_type_url(type);
    response_.set_version_info(std::to_string(state.version));
    response_.set_nonce(state.nonce);
    for (const google::protobuf::Any* any : selected) *response_.add_resources() = *any;
    spdlog::debug("xds ads push node={} type={} version={} resources={}", node_id_, type,
                  state.version, selected.size());
    return true;
  }

  AdsServer* const server_;
  const std::string peer_;
  std::mutex mu_;
  DiscoveryRequest request_;
  DiscoveryResponse response_;
  std::map<std::string, TypeState> types_;
  std::set<std::string> dirty_;
  std::string node_id_;
  uint64_t nonce_counter_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  grpc::Status final_status_ = grpc::Status::OK;
};

AdsServer::AdsServer() : resources_(std::make_shared<ResourceMap>()) {}

AdsServer::~AdsServer() = default;

void AdsServer::SetResources(ResourceMap resources) {
  {
    std::lock_guard<std::mutex> lock(resources_mu_);
    resources_ = std::make_shared<const ResourceMap>(std::move(resources));
  }
  std::lock_guard<std::mutex> lock(streams_mu_);
  for (Stream* stream : streams_) stream->Poke();
}

void AdsServer::Shutdown() {
  std::lock_guard<std::mutex> lock(streams_mu_);
  shut_down_ = true;
  for (Stream* stream : streams_) stream->Close();
}

size_t AdsServer::open_streams() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  return streams_.size();
}

std::shared_ptr<const ResourceMap> AdsServer::resources() const {
  std::lock_guard<std::mutex> lock(resources_mu_);
  return resources_;
}

void AdsServer::Remove(Stream* stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.erase(stream);
}

grpc::ServerBidiReactor<AdsServer::DiscoveryRequest, AdsServer::DiscoveryResponse>*
AdsServer::StreamAggregatedResources(grpc::CallbackServerContext* context) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  auto* stream = new Stream(this, context->peer());
  streams_.insert(stream);
  if (shut_down_) stream->Close();
  return stream;
}

}  // namespace switchboard::xds
