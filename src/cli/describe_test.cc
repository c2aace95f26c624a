// `switchboard call describe` and the unknown-field error, over every compiled-in contract.
#include "cli/describe.h"

#include <gtest/gtest.h>

#include "cli/contracts.h"
#include "cli/generic_call.h"

namespace switchboard::cli {
namespace {

TEST(DescribeTest, EveryMethodsExampleIsAcceptedAsItsRequest) {
  int methods = 0;
  for (const auto* service : AllServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const std::string example = ExampleJson(method->input_type());
      auto binary = JsonToBinary(method->input_type(), example);
      EXPECT_TRUE(binary.ok()) << method->full_name() << ": " << example << ": "
                               << binary.status().message();
      // The example shows a value for every field: none is left for the reader to guess.
      for (int f = 0; f < method->input_type()->field_count(); ++f) {
        const std::string name = method->input_type()->field(f)->json_name();
        if (method->input_type()->field(f)->containing_oneof() != nullptr) continue;
        EXPECT_NE(example.find("\"" + name + "\""), std::string::npos)
            << method->full_name() << " example lacks " << name << ": " << example;
      }
      ++methods;
    }
  }
  EXPECT_GT(methods, 0);
}

TEST(DescribeTest, NamesFieldsTypesAndTheShape) {
  auto service = FindService("user");
  ASSERT_TRUE(service.ok());
  auto method = FindMethod(*service, "create");
  ASSERT_TRUE(method.ok());
  const std::string text = DescribeMethod(*method);
  EXPECT_NE(text.find("switchboard.user.v1.UserService.CreateUser  [unary]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("request switchboard.user.v1.CreateUserRequest:"), std::string::npos) << text;
  EXPECT_NE(text.find("  email  string\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  displayName  string\n"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"email":"text","displayName":"text"})"), std::string::npos) << text;
  EXPECT_NE(text.find("response switchboard.user.v1.User:"), std::string::npos) << text;

  auto watch = FindMethod(*FindService("stock"), "watch");
  ASSERT_TRUE(watch.ok());
  EXPECT_NE(DescribeMethod(*watch).find("[server streaming]"), std::string::npos);
  EXPECT_NE(DescribeMethod(*watch).find("(a stream of them)"), std::string::npos);
}

TEST(DescribeTest, UnknownFieldErrorNamesTheFieldsThereAre) {
  auto service = FindService("user");
  ASSERT_TRUE(service.ok());
  const auto* type = (*FindMethod(*service, "create"))->input_type();
  auto binary = JsonToBinary(type, R"({"name":"Alice"})");
  ASSERT_FALSE(binary.ok());
  const std::string message(binary.status().message());
  EXPECT_NE(message.find("name: Cannot find field."), std::string::npos) << message;
  EXPECT_NE(message.find("switchboard.user.v1.CreateUserRequest has: email (string), "
                         "displayName (string)"),
            std::string::npos)
      << message;
}

TEST(DescribeTest, MessageAtPathWalksNestedFields) {
  auto service = FindService("booking");
  ASSERT_TRUE(service.ok());
  const auto* list = (*FindMethod(*service, "list-bookings"))->output_type();
  EXPECT_EQ(MessageAtPath(list, "bookings.nosuch")->full_name(), "switchboard.booking.v1.Booking");
  EXPECT_EQ(MessageAtPath(list, "nosuch"), list);
  EXPECT_EQ(MessageAtPath(list, "nosuch.deeper"), list);
}

}  // namespace
}  // namespace switchboard::cli
