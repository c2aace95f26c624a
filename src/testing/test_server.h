// Runs one real service in the test process on a free loopback port, with its data in a
// temporary directory, and hands out channels to it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <yaml-cpp/yaml.h>

#include "common/service.h"
#include "common/service_host.h"
#include "testing/temp_dir.h"

namespace switchboard::testing {

class TestServer {
 public:
  // `settings` is the service's YAML block, as in the system config.
  // `peers` names the other services this one calls ("fraud" -> "127.0.0.1:PORT").
  TestServer(const common::ServiceFactory& factory, const std::string& settings_yaml = "{}",
             const common::HostOptions& host_options = {},
             const std::map<std::string, std::string>& peers = {});
  ~TestServer();

  std::string address() const { return host_->address(); }
  // A new channel (its own HTTP/2 connection) to the server.
  std::shared_ptr<grpc::Channel> NewChannel() const;
  const std::string& data_dir() const { return dir_.path(); }
  common::Service* service() { return service_.get(); }
  void Shutdown() { host_->Shutdown(); }

 private:
  TempDir dir_;
  std::unique_ptr<common::Service> service_;
  std::unique_ptr<common::ServiceHost> host_;
};

}  // namespace switchboard::testing
