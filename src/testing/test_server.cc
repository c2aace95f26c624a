#include "testing/test_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <atomic>
#include <stdexcept>

namespace switchboard::testing {

TestServer::TestServer(const common::ServiceFactory& factory, const std::string& settings_yaml,
                       const common::HostOptions& host_options,
                       const std::map<std::string, std::string>& peers) {
  common::ServiceOptions options;
  options.name = "test";
  options.data_dir = dir_.path() + "/data";
  options.settings = YAML::Load(settings_yaml);
  options.peers = peers;
  auto made = factory(options);
  if (!made.ok()) throw std::runtime_error("cannot make service: " + made.status().ToString());
  service_ = std::move(*made);
  auto host = common::ServiceHost::Start("127.0.0.1:0", {service_.get()}, host_options);
  if (!host.ok()) throw std::runtime_error("cannot start service: " + host.status().ToString());
  host_ = std::move(*host);
}

TestServer::~TestServer() { host_->Shutdown(); }

std::shared_ptr<grpc::Channel> TestServer::NewChannel() const {
  grpc::ChannelArguments args;
  // A distinct argument per call keeps grpc++ from sharing one subchannel between channels.
  static std::atomic<int> counter{0};
  args.SetInt("switchboard.test_channel_id", counter++);
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), args);
}

}  // namespace switchboard::testing
