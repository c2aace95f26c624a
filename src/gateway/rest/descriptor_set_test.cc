#include "descriptor_set.h"

#include <gtest/gtest.h>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"

namespace switchboard::gateway::rest {
namespace {

google::protobuf::FileDescriptorProto File(const std::string& text) {
  google::protobuf::FileDescriptorProto file;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &file)) << text;
  return file;
}

const char kBase[] = R"pb(
  name: "a/base.proto"
  package: "a"
  syntax: "proto3"
  message_type {
    name: "Base"
    field { name: "x" number: 1 type: TYPE_INT32 label: LABEL_OPTIONAL }
  }
)pb";
const char kUser[] = R"pb(
  name: "a/user.proto"
  package: "a"
  syntax: "proto3"
  dependency: "a/base.proto"
  message_type {
    name: "User"
    field { name: "b" number: 1 type: TYPE_MESSAGE type_name: ".a.Base" label: LABEL_OPTIONAL }
  }
)pb";

TEST(DescriptorSet, LoadsFilesInAnyOrderAndSkipsKnownOnes) {
  google::protobuf::FileDescriptorSet set;
  *set.add_file() = File(kUser);  // before its dependency
  *set.add_file() = File(kBase);
  google::protobuf::DescriptorPool pool;
  ASSERT_TRUE(AddDescriptorSet(set.SerializeAsString(), &pool).ok());
  EXPECT_NE(pool.FindMessageTypeByName("a.User"), nullptr);
  // A second set sharing a file loads beside the first.
  EXPECT_TRUE(AddDescriptorSet(set.SerializeAsString(), &pool).ok());
}

TEST(DescriptorSet, ExplainsWhatIsWrong) {
  google::protobuf::DescriptorPool pool;
  const auto garbage = AddDescriptorSet("\xff\xff\xff", &pool);
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.message().find("does not parse"), std::string::npos) << garbage;

  google::protobuf::FileDescriptorSet missing;
  *missing.add_file() = File(kUser);
  const auto unresolved = AddDescriptorSet(missing.SerializeAsString(), &pool);
  EXPECT_EQ(unresolved.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unresolved.message().find("a/user.proto imports a/base.proto"), std::string::npos)
      << unresolved;

  google::protobuf::FileDescriptorSet broken;
  *broken.add_file() = File(R"pb(
    name: "b/broken.proto"
    package: "b"
    syntax: "proto3"
    message_type {
      name: "M"
      field { name: "x" number: 1 type: TYPE_MESSAGE type_name: ".b.Nope" label: LABEL_OPTIONAL }
    }
  )pb");
  const auto bad = AddDescriptorSet(broken.SerializeAsString(), &pool);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("b/broken.proto does not build"), std::string::npos) << bad;
  EXPECT_NE(bad.message().find("b.Nope"), std::string::npos) << bad;
}

}  // namespace
}  // namespace switchboard::gateway::rest
