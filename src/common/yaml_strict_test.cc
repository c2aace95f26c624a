// The strict YAML loader: every duplicate key refused with its path and both lines, and
// everything else loaded as YAML::Load would.
#include "common/yaml_strict.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>

#include "common/system_config.h"

namespace switchboard::common {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    LoadYamlStrict(text);
  } catch (const YAML::Exception& e) {
    return e.what();
  }
  return "";
}

TEST(YamlStrict, DuplicateKeysAreErrorsNamingThePathAndBothLines) {
  struct Case {
    std::string yaml;
    std::string error;  // what the message contains
  } cases[] = {
      {"cors: {a: 1}\nlisten: x\ncors: {b: 2}\n",
       "error at line 3, column 1: duplicate key \"cors\" (first at line 1)"},
      {"services:\n  ticket:\n    port: 1\n    port: 2\n",
       "line 4, column 5: duplicate key \"services.ticket.port\" (first at line 3)"},
      {"services:\n  ticket: {port: 1}\n  ticket: {port: 2}\n",
       "duplicate key \"services.ticket\" (first at line 2)"},
      {"a: {x: 1, y: 2, x: 3}\n", "duplicate key \"a.x\" (first at line 1)"},
      {"list:\n  - {k: 1, k: 2}\n", "duplicate key \"list[].k\" (first at line 2)"},
      {"a: 1\n\"a\": 2\n", "duplicate key \"a\""},
  };
  for (const auto& c : cases) {
    const std::string error = ErrorOf(c.yaml);
    EXPECT_NE(error.find(c.error), std::string::npos) << c.yaml << "\ngave: " << error;
  }
}

TEST(YamlStrict, WhatIsNotADuplicateLoadsAsYamlLoadWould) {
  const char* texts[] = {
      "",
      "a: 1\nb: 2\n",
      // The same key in different maps, and in items of a list.
      "x: {port: 1}\ny: {port: 2}\nlist: [{k: 1}, {k: 2}]\n",
      "services:\n  ticket: {port: 1}\n  stock: {port: 1}\n",
      // Merge keys may repeat.
      "base: &b {a: 1}\nother: &o {c: 1}\nm:\n  <<: *b\n  <<: *o\n",
      "- a\n- a\n",
  };
  for (const char* text : texts) {
    EXPECT_EQ(ErrorOf(text), "") << text;
    EXPECT_EQ(YAML::Dump(LoadYamlStrict(text)), YAML::Dump(YAML::Load(text))) << text;
  }
  // Bad syntax is still yaml-cpp's own error.
  EXPECT_NE(ErrorOf("a: [1, 2\n").find("error at line"), std::string::npos);
}

// Found by fuzz/gateway_config_fuzz: a lone "," made the loader loop forever. Run on a thread of
// its own, so that a regression fails in bounded time rather than hanging the suite.
TEST(YamlStrict, AStrayFlowEntryEndsLikeYamlLoad) {
  for (const char* text : {",", "a: 1\n,\n", ",\n---\nb: 2\n"}) {
    auto loaded = std::async(std::launch::async, [text] {
      return ErrorOf(text).empty() ? YAML::Dump(LoadYamlStrict(text)) : "error";
    });
    if (loaded.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      std::fprintf(stderr, "LoadYamlStrict(\"%s\") did not return within 10 s\n", text);
      std::_Exit(1);
    }
    std::string expected;
    try {
      expected = YAML::Dump(YAML::Load(text));
    } catch (const YAML::Exception&) {
      expected = "error";
    }
    EXPECT_EQ(loaded.get(), expected) << text;
  }
}

TEST(YamlStrict, FileErrorsStartWithThePath) {
  char pattern[] = "/tmp/sb-yaml-XXXXXX";
  const int fd = mkstemp(pattern);
  close(fd);
  std::ofstream(pattern) << "log_level: info\nlog_level: debug\n";
  auto loaded = LoadYamlFileStrict(pattern);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message().rfind(std::string(pattern) + ": ", 0), 0u) << loaded.status();
  EXPECT_NE(loaded.status().message().find("duplicate key \"log_level\" (first at line 1)"),
            std::string::npos)
      << loaded.status();

  // The system config is read through it.
  std::ofstream(pattern) << "cors_allow_origins: [\"https://a.example\"]\nhost: 127.0.0.1\n"
                            "cors_allow_origins: [\"https://b.example\"]\n";
  auto config = LoadSystemConfig(pattern);
  std::remove(pattern);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("duplicate key \"cors_allow_origins\""),
            std::string::npos)
      << config.status();

  auto missing = LoadYamlFileStrict("/nonexistent/sb.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "/nonexistent/sb.yaml: cannot read the file");
}

TEST(YamlStrict, ReplicaCountGivenTwiceIsAnError) {
  SystemConfig config = DefaultSystemConfig();
  const absl::Status status = ApplyReplicaCounts("ticket=2,stock=2,ticket=3", config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "--replicas: ticket is given twice (ticket=2 and ticket=3)");
}

}  // namespace
}  // namespace switchboard::common
