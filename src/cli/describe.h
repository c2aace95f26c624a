// What a method takes and returns, told from its compiled-in descriptors: `switchboard call
// describe SERVICE METHOD` prints it, and a request with an unknown field is answered with the
// fields its message does have.
#pragma once

#include <google/protobuf/descriptor.h>

#include <string>

namespace switchboard::cli {

// The method's shape, its request fields (JSON name, type), an example request in JSON that
// the method accepts, and its response fields.
std::string DescribeMethod(const google::protobuf::MethodDescriptor* method);

// A request of `type` in JSON with every field set to a sample value of its type (what
// `describe` shows as the example).
std::string ExampleJson(const google::protobuf::Descriptor* type);

// "email (string), displayName (string)": the fields of `type` by their JSON names.
std::string FieldList(const google::protobuf::Descriptor* type);

// "user.name: Cannot find field." (protobuf's JSON parser) -> the message that has no such
// field, found by walking `path` ("user.name") from `type`; `type` when the path is not one.
const google::protobuf::Descriptor* MessageAtPath(const google::protobuf::Descriptor* type,
                                                  const std::string& path);

}  // namespace switchboard::cli
