#include "common/data_dir.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace switchboard::common {

absl::StatusOr<std::string> DataPath(const std::string& data_dir, const std::string& file) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create data directory ", data_dir, ": ", ec.message()));
  }
  return (std::filesystem::path(data_dir) / file).string();
}

}  // namespace switchboard::common
