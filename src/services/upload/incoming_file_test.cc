#include "services/upload/incoming_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/upload/sha256.h"
#include "services/upload/upload_test_util.h"
#include "testing/temp_dir.h"

namespace switchboard::upload {
namespace {

namespace fs = std::filesystem;
using testing::ListDirectory;
using testing::Sha256Of;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(Sha256, MatchesKnownVectorsAndOneShotDigest) {
  Sha256 empty;
  EXPECT_EQ(*empty.FinishHex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("a");
  abc.Update("");
  abc.Update("bc");
  EXPECT_EQ(*abc.FinishHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string data = testing::PseudoRandomBytes(100000, 7);
  Sha256 pieces;
  for (size_t i = 0; i < data.size(); i += 777)
    pieces.Update(std::string_view(data).substr(i, 777));
  EXPECT_EQ(*pieces.FinishHex(), Sha256Of(data));
  EXPECT_FALSE(pieces.FinishHex().ok());  // only once
}

TEST(IncomingFile, AppendSealMoveKeepsTheBytesAndHash) {
  switchboard::testing::TempDir dir;
  const std::string data = testing::PseudoRandomBytes(300000, 1);
  auto file = IncomingFile::Create(dir.path());
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append(std::string_view(data).substr(0, 1000)).ok());
  ASSERT_TRUE((*file)->Append(std::string_view(data).substr(1000)).ok());
  EXPECT_EQ((*file)->size(), 300000);
  ASSERT_TRUE((*file)->Seal().ok());
  EXPECT_EQ((*file)->sha256(), Sha256Of(data));
  EXPECT_FALSE((*file)->Append("more").ok());
  const std::string target = dir.path() + "/final";
  ASSERT_TRUE((*file)->MoveTo(target).ok());
  file->reset();
  EXPECT_EQ(ReadAll(target), data);
  EXPECT_EQ(ListDirectory(dir.path()), std::vector<std::string>{"final"});
}

TEST(IncomingFile, DroppedBeforeMoveLeavesNothing) {
  switchboard::testing::TempDir dir;
  {
    auto file = IncomingFile::Create(dir.path());
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("partial").ok());
    EXPECT_EQ(ListDirectory(dir.path()).size(), 1u);
  }
  {
    auto file = IncomingFile::Create(dir.path());
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Seal().ok());
  }
  EXPECT_TRUE(ListDirectory(dir.path()).empty());
}

TEST(IncomingFile, MoveBeforeSealFailsAndMissingDirectoryIsAnError) {
  switchboard::testing::TempDir dir;
  auto file = IncomingFile::Create(dir.path());
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE((*file)->MoveTo(dir.path() + "/final").ok());
  auto missing = IncomingFile::Create(dir.path() + "/no/such/dir");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no/such/dir"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::upload
