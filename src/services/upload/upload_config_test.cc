// The services.upload block: its defaults, overrides, and errors that name the bad key.
#include "services/upload/upload_config.h"

#include <gtest/gtest.h>

#include <string>

namespace switchboard::upload {
namespace {

TEST(UploadConfig, DefaultsWithAnEmptyOrAbsentBlock) {
  for (const YAML::Node& block : {YAML::Load("{}"), YAML::Node()}) {
    auto config = ReadUploadConfig(block);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->database, "uploads.db");
    EXPECT_EQ(config->max_file_bytes, int64_t{2} * 1024 * 1024 * 1024);
    EXPECT_EQ(config->max_concurrent_uploads, 64);
    EXPECT_EQ(config->max_concurrent_downloads, 256);
  }
}

TEST(UploadConfig, OverridesAreRead) {
  auto config = ReadUploadConfig(
      YAML::Load("{database: files.db, max_file_bytes: 1099511627776, max_concurrent_uploads: 1,"
                 " max_concurrent_downloads: 10000}"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->database, "files.db");
  EXPECT_EQ(config->max_file_bytes, int64_t{1} << 40);
  EXPECT_EQ(config->max_concurrent_uploads, 1);
  EXPECT_EQ(config->max_concurrent_downloads, 10000);
}

TEST(UploadConfig, BadSettingsAreNamed) {
  struct Case {
    std::string yaml;
    std::string message;
  } cases[] = {
      {"{max_file_bytes: 1099511627777}",
       "services.upload.max_file_bytes: 1099511627777 is outside 1..1099511627776"},
      {"{max_concurrent_downloads: 0}",
       "services.upload.max_concurrent_downloads: 0 is outside 1..10000"},
      {"{colour: red}",
       "services.upload.colour: unknown setting (known: port, database, max_file_bytes,"
       " max_concurrent_uploads, max_concurrent_downloads)"},
  };
  for (const auto& c : cases) {
    auto config = ReadUploadConfig(YAML::Load(c.yaml));
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_EQ(std::string(config.status().message()), c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace switchboard::upload
