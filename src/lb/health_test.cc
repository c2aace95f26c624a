#include "lb/health.h"

#include <gtest/gtest.h>

#include "lb/health_wire.h"

namespace switchboard::lb {
namespace {

TEST(HealthState, ThresholdsInARow) {
  HealthOptions options;
  options.unhealthy_threshold = 2;
  options.healthy_threshold = 2;
  HealthState state;
  EXPECT_TRUE(state.healthy());
  EXPECT_FALSE(state.Record(false, options));
  EXPECT_FALSE(state.Record(true, options));  // breaks the run
  EXPECT_FALSE(state.Record(false, options));
  EXPECT_TRUE(state.Record(false, options));
  EXPECT_FALSE(state.healthy());
  EXPECT_FALSE(state.Record(false, options));
  EXPECT_FALSE(state.Record(true, options));
  EXPECT_TRUE(state.Record(true, options));
  EXPECT_TRUE(state.healthy());
}

std::string Framed(std::string message) {
  std::string frame(5, '\0');
  frame[4] = static_cast<char>(message.size());
  return frame + message;
}

TEST(HealthWire, RequestFrame) {
  EXPECT_EQ(HealthCheckRequestFrame(""), std::string(5, '\0'));
  const std::string frame = HealthCheckRequestFrame("a.B");
  EXPECT_EQ(frame, std::string("\0\0\0\0\x05\x0a\x03"
                               "a.B",
                               10));
}

TEST(HealthWire, ResponsesTable) {
  struct Case {
    int status;
    std::string body;
    HealthAnswer want;
  } cases[] = {
      {0, Framed("\x08\x01"), HealthAnswer::kServing},
      {0, Framed("\x08\x02"), HealthAnswer::kNotServing},
      {0, Framed(""), HealthAnswer::kNotServing},  // UNKNOWN
      {0, Framed("\x08\x03"), HealthAnswer::kNotServing},
      {5, "", HealthAnswer::kUnknownService},
      {12, "", HealthAnswer::kNoHealthService},
      {14, "", HealthAnswer::kFailed},
      {-1, "", HealthAnswer::kFailed},
      {0, "", HealthAnswer::kFailed},
      {0, std::string("\0\0\0\0\x05\x08\x01", 7), HealthAnswer::kFailed},    // short body
      {0, Framed("\x10\x01"), HealthAnswer::kFailed},                        // wrong field
      {0, Framed("\x08\x81"), HealthAnswer::kFailed},                        // truncated varint
      {0, std::string("\x01\0\0\0\x02\x08\x01", 7), HealthAnswer::kFailed},  // compressed
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseHealthResponse(c.status, c.body), c.want) << c.status << " " << c.body.size();
  }
}

}  // namespace
}  // namespace switchboard::lb
