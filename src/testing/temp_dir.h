// A directory under /tmp that is removed with everything in it when the object goes away.
#pragma once

#include <string>

namespace switchboard::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace switchboard::testing
