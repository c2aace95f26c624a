#include "xds/registration.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "xds/replica_address.h"

namespace switchboard::xds {
namespace {

bool Unreachable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Registration>> Registration::Start(RegistrationOptions options) {
  if (options.xds_address.empty()) return absl::InvalidArgumentError("xds address is empty");
  if (auto address = ParseReplicaAddress(options.address); !address.ok()) {
    return address.status();
  }
  std::unique_ptr<Registration> registration(new Registration(std::move(options)));
  const grpc::Status status = registration->RegisterOnce();
  if (!status.ok() && !Unreachable(status.error_code())) {
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("xds registry at ", registration->options_.xds_address, " refused ",
                     registration->options_.server_id, ": ", status.error_message()));
  }
  registration->thread_ = std::thread([r = registration.get()] { r->Loop(); });
  return registration;
}

absl::StatusOr<std::unique_ptr<Registration>> Registration::Start(const std::string& xds_address,
                                                                  const std::string& service,
                                                                  const std::string& address,
                                                                  const std::string& server_id,
                                                                  LoadSource load_source) {
  RegistrationOptions options;
  options.xds_address = xds_address;
  options.service = service;
  options.address = address;
  options.server_id = server_id;
  options.load_source = std::move(load_source);
  return Start(std::move(options));
}

Registration::Registration(RegistrationOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.xds_address, grpc::InsecureChannelCredentials())),
      stub_(v1::ReplicaRegistryService::NewStub(channel_)),
      heartbeat_interval_(options_.retry_interval) {}

Registration::~Registration() {
  Stop();
  bool registered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    registered = registered_ && !abandoned_;
  }
  if (!registered) return;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  v1::DeregisterRequest request;
  request.set_server_id(options_.server_id);
  v1::DeregisterResponse response;
  const grpc::Status status = stub_->Deregister(&context, request, &response);
  if (status.ok()) {
    spdlog::info("xds deregistered server_id={}", options_.server_id);
  } else {
    spdlog::warn("xds deregister server_id={} failed: {} (the control plane expires it)",
                 options_.server_id, status.error_message());
  }
}

bool Registration::registered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return registered_;
}

void Registration::Abandon() {
  Stop();
  std::lock_guard<std::mutex> lock(mu_);
  abandoned_ = true;
}

void Registration::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

grpc::Status Registration::RegisterOnce() {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  v1::RegisterRequest request;
  request.set_service(options_.service);
  request.set_address(options_.address);
  request.set_server_id(options_.server_id);
  request.set_initial_weight(options_.initial_weight);
  v1::RegisterResponse response;
  const grpc::Status status = stub_->Register(&context, request, &response);
  std::lock_guard<std::mutex> lock(mu_);
  registered_ = status.ok();
  if (status.ok()) {
    heartbeat_interval_ = std::clamp(std::chrono::milliseconds(response.heartbeat_interval_ms()),
                                     RegistrationOptions::kMinHeartbeatInterval,
                                     RegistrationOptions::kMaxHeartbeatInterval);
    warned_ = false;
    spdlog::info("xds registered service={} server_id={} address={} at {} heartbeat={}ms",
                 options_.service, options_.server_id, options_.address, options_.xds_address,
                 heartbeat_interval_.count());
  } else if (!warned_) {
    warned_ = true;
    spdlog::warn("xds register server_id={} at {} failed: {}; retrying every {}ms",
                 options_.server_id, options_.xds_address, status.error_message(),
                 options_.retry_interval.count());
  }
  return status;
}

grpc::Status Registration::HeartbeatOnce() {
  const LoadCounts counts = options_.load_source ? options_.load_source() : LoadCounts{};
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.rpc_timeout);
  v1::HeartbeatRequest request;
  request.set_server_id(options_.server_id);
  request.mutable_load()->set_in_flight_calls(counts.in_flight_calls);
  uint64_t reported;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reported = reported_total_;
  }
  request.mutable_load()->set_calls_served(counts.calls_finished_total - reported);
  v1::HeartbeatResponse response;
  const grpc::Status status = stub_->Heartbeat(&context, request, &response);
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok()) {
    // Calls reported in a lost heartbeat are carried into the next one.
    reported_total_ = counts.calls_finished_total;
    warned_ = false;
  } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    registered_ = false;
    spdlog::warn("xds control plane forgot server_id={}: registering again", options_.server_id);
  } else if (!warned_) {
    warned_ = true;
    spdlog::warn("xds heartbeat server_id={} at {} failed: {}", options_.server_id,
                 options_.xds_address, status.error_message());
  }
  return status;
}

void Registration::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const auto wait = registered_ ? heartbeat_interval_ : options_.retry_interval;
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
    const bool registered = registered_;
    lock.unlock();
    if (registered) {
      const grpc::Status status = HeartbeatOnce();
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) RegisterOnce();
    } else {
      RegisterOnce();
    }
    lock.lock();
  }
}

}  // namespace switchboard::xds
