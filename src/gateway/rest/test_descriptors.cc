#include "test_descriptors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "descriptor_set.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/empty.pb.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"

namespace switchboard::gateway::rest::testing {
namespace {

constexpr char kMessagesText[] = R"pb(
  name: "sbtest/v1/messages.proto"
  package: "sbtest.v1"
  syntax: "proto3"
  dependency: "google/protobuf/timestamp.proto"
  dependency: "google/protobuf/duration.proto"
  dependency: "google/protobuf/wrappers.proto"
  dependency: "google/protobuf/field_mask.proto"
  message_type {
    name: "Inner"
    field { name: "name" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
    field { name: "count" number: 2 type: TYPE_INT32 label: LABEL_OPTIONAL }
    field {
      name: "child"
      number: 3
      type: TYPE_MESSAGE
      type_name: ".sbtest.v1.Inner"
      label: LABEL_OPTIONAL
    }
  }
  message_type {
    name: "Everything"
    field { name: "s" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
    field { name: "i32" number: 2 type: TYPE_INT32 label: LABEL_OPTIONAL }
    field { name: "i64" number: 3 type: TYPE_INT64 label: LABEL_OPTIONAL }
    field { name: "u32" number: 4 type: TYPE_UINT32 label: LABEL_OPTIONAL }
    field { name: "u64" number: 5 type: TYPE_UINT64 label: LABEL_OPTIONAL }
    field { name: "f" number: 6 type: TYPE_FLOAT label: LABEL_OPTIONAL }
    field { name: "d" number: 7 type: TYPE_DOUBLE label: LABEL_OPTIONAL }
    field { name: "b" number: 8 type: TYPE_BOOL label: LABEL_OPTIONAL }
    field { name: "by" number: 9 type: TYPE_BYTES label: LABEL_OPTIONAL }
    field {
      name: "color"
      number: 10
      type: TYPE_ENUM
      type_name: ".sbtest.v1.Color"
      label: LABEL_OPTIONAL
    }
    field { name: "tags" number: 11 type: TYPE_STRING label: LABEL_REPEATED }
    field { name: "nums" number: 12 type: TYPE_INT32 label: LABEL_REPEATED }
    field {
      name: "inner"
      number: 13
      type: TYPE_MESSAGE
      type_name: ".sbtest.v1.Inner"
      label: LABEL_OPTIONAL
    }
    field {
      name: "inners"
      number: 14
      type: TYPE_MESSAGE
      type_name: ".sbtest.v1.Inner"
      label: LABEL_REPEATED
    }
    field {
      name: "counts"
      number: 15
      type: TYPE_MESSAGE
      type_name: ".sbtest.v1.Everything.CountsEntry"
      label: LABEL_REPEATED
    }
    field {
      name: "ts"
      number: 16
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Timestamp"
      label: LABEL_OPTIONAL
    }
    field {
      name: "dur"
      number: 17
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Duration"
      label: LABEL_OPTIONAL
    }
    field {
      name: "wrapped"
      number: 18
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Int32Value"
      label: LABEL_OPTIONAL
    }
    field {
      name: "mask"
      number: 19
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.FieldMask"
      label: LABEL_OPTIONAL
    }
    field { name: "one_a" number: 20 type: TYPE_STRING label: LABEL_OPTIONAL oneof_index: 0 }
    field { name: "one_b" number: 21 type: TYPE_INT32 label: LABEL_OPTIONAL oneof_index: 0 }
    field {
      name: "display_name"
      number: 22
      type: TYPE_STRING
      label: LABEL_OPTIONAL
      json_name: "label"
    }
    field {
      name: "colors"
      number: 23
      type: TYPE_ENUM
      type_name: ".sbtest.v1.Color"
      label: LABEL_REPEATED
    }
    nested_type {
      name: "CountsEntry"
      field { name: "key" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL }
      field { name: "value" number: 2 type: TYPE_INT32 label: LABEL_OPTIONAL }
      options { map_entry: true }
    }
    oneof_decl { name: "choice" }
  }
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "COLOR_RED" number: 1 }
    value { name: "COLOR_BLUE" number: 2 }
  }
)pb";

void AddGeneratedFile(const google::protobuf::FileDescriptor* file,
                      google::protobuf::FileDescriptorSet* set) {
  file->CopyTo(set->add_file());
}

}  // namespace

const char kTestServiceText[] = R"pb(
  name: "TestService"
  method {
    name: "Get"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] {
        get: "/v1/{s=shelves/*/books/*}"
        additional_bindings { get: "/v1/things/{inner.name}" }
      }
    }
  }
  method {
    name: "Patch"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { patch: "/v1/items/{s}" body: "inner" response_body: "inner" }
    }
  }
  method {
    name: "Files"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { get: "/files/{s=**}" }
    }
  }
  method {
    name: "Special"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { get: "/files/special/{s}" }
    }
  }
  method {
    name: "Tags"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { post: "/v1/tags" body: "tags" response_body: "tags" }
    }
  }
  method {
    name: "Stream"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    server_streaming: true
    options {
      [google.api.http] { get: "/v1/stream/{s}" }
    }
  }
  method {
    name: "Upload"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    client_streaming: true
    options {
      [google.api.http] { post: "/v1/upload" body: "*" }
    }
  }
  method {
    name: "AnyMethod"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { custom { kind: "*" path: "/v1/any/{s}" } }
    }
  }
  method {
    name: "AnyGet"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { get: "/v1/any/{s}" }
    }
  }
  method {
    name: "Watch"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { custom { kind: "WATCH" path: "/v1/watch/{s}" } }
    }
  }
  method {
    name: "Echo"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { post: "/v1/echo/{inner.name}" body: "*" }
    }
  }
  method {
    name: "Publish"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { post: "/v1/items/{s}:publish" body: "*" }
    }
  }
  method {
    name: "ItemsPost"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { post: "/v1/items/{s}" body: "*" }
    }
  }
  method {
    name: "Scalars"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
    options {
      [google.api.http] { get: "/v1/scalars/{i64}/{color}/{b}" response_body: "i64" }
    }
  }
  method {
    name: "Nothing"
    input_type: ".sbtest.v1.Everything"
    output_type: ".sbtest.v1.Everything"
  }
)pb";

std::unique_ptr<google::protobuf::DescriptorPool> NewTestPool() {
  auto pool = std::make_unique<google::protobuf::DescriptorPool>();
  std::ifstream in(SB_DESCRIPTOR_SET, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << SB_DESCRIPTOR_SET;
  std::stringstream bytes;
  bytes << in.rdbuf();
  const auto status = AddDescriptorSet(bytes.str(), pool.get());
  EXPECT_TRUE(status.ok()) << status;

  // The well-known types the contracts do not import; timestamp.proto is already there and is
  // skipped.
  google::protobuf::FileDescriptorSet wkt;
  AddGeneratedFile(google::protobuf::Timestamp::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::Duration::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::Int32Value::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::FieldMask::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::Struct::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::Any::descriptor()->file(), &wkt);
  AddGeneratedFile(google::protobuf::Empty::descriptor()->file(), &wkt);
  google::protobuf::FileDescriptorProto messages;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kMessagesText, &messages));
  *wkt.add_file() = messages;
  const auto added = AddDescriptorSet(wkt.SerializeAsString(), pool.get());
  EXPECT_TRUE(added.ok()) << added;
  return pool;
}

absl::Status AddTestService(google::protobuf::DescriptorPool* pool, const std::string& file_name,
                            const std::string& service_text) {
  google::protobuf::FileDescriptorProto file;
  file.set_name(file_name);
  file.set_package("sbtest.v1");
  file.set_syntax("proto3");
  file.add_dependency("sbtest/v1/messages.proto");
  if (!google::protobuf::TextFormat::ParseFromString(service_text, file.add_service())) {
    return absl::InvalidArgumentError("service text does not parse");
  }
  google::protobuf::FileDescriptorSet set;
  *set.add_file() = file;
  return AddDescriptorSet(set.SerializeAsString(), pool);
}

}  // namespace switchboard::gateway::rest::testing
