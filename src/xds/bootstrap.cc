#include "xds/bootstrap.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace switchboard::xds {

std::string BootstrapJson(const std::string& xds_address, const std::string& node_id) {
  // Built as a Struct so addresses and ids are escaped as JSON requires.
  google::protobuf::Struct root;
  auto& fields = *root.mutable_fields();
  auto* server = fields["xds_servers"].mutable_list_value()->add_values()->mutable_struct_value();
  (*server->mutable_fields())["server_uri"].set_string_value(xds_address);
  auto* creds = (*server->mutable_fields())["channel_creds"]
                    .mutable_list_value()
                    ->add_values()
                    ->mutable_struct_value();
  (*creds->mutable_fields())["type"].set_string_value("insecure");
  (*server->mutable_fields())["server_features"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("xds_v3");
  auto* node = fields["node"].mutable_struct_value();
  (*node->mutable_fields())["id"].set_string_value(node_id);
  (*node->mutable_fields())["locality"].mutable_struct_value();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(root, &json);
  return json;
}

}  // namespace switchboard::xds
