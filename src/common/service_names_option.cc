#include "common/service_names_option.h"

#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

namespace switchboard::common {
namespace {

class ServiceNamesPlugin : public grpc::ServerBuilderPlugin {
 public:
  explicit ServiceNamesPlugin(std::vector<std::string>* names) : names_(names) {}
  std::string name() override { return "switchboard_service_names"; }
  void InitServer(grpc::ServerInitializer*) override {}
  // Every service is registered by now (grpc++'s reflection plugin reads the list here too).
  void Finish(grpc::ServerInitializer* initializer) override {
    const std::vector<std::string>* names = initializer->GetServiceList();
    if (names != nullptr) *names_ = *names;
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::vector<std::string>* names_;
};

}  // namespace

void ServiceNamesOption::UpdatePlugins(
    std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) {
  plugins->push_back(std::make_unique<ServiceNamesPlugin>(names_));
}

}  // namespace switchboard::common
