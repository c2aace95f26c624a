// The wire tests live in health_test.cc; this file keeps one test per source file findable.
#include "lb/health_wire.h"

#include <gtest/gtest.h>

namespace switchboard::lb {
namespace {

TEST(HealthWire, LongServiceNameIsCut) {
  const std::string name(200, 'x');
  const std::string frame = HealthCheckRequestFrame(name);
  EXPECT_EQ(frame.size(), 5 + 2 + kMaxHealthServiceName);
}

}  // namespace
}  // namespace switchboard::lb
