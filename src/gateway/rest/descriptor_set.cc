#include "descriptor_set.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.pb.h"

namespace switchboard::gateway::rest {
namespace {

// Collects the pool's build errors into one line.
class ErrorCollector : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(filename, ": ", element_name, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status AddDescriptorSet(std::string_view serialized, google::protobuf::DescriptorPool* pool) {
  google::protobuf::FileDescriptorSet set;
  if (!set.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::InvalidArgumentError("descriptor set does not parse as a FileDescriptorSet");
  }
  // Builds files whose dependencies are present, pass after pass, so that any order works; a pass
  // that builds nothing means a dependency is missing.
  std::vector<const google::protobuf::FileDescriptorProto*> pending;
  for (const auto& file : set.file()) {
    if (pool->FindFileByName(file.name()) == nullptr) pending.push_back(&file);
  }
  while (!pending.empty()) {
    std::vector<const google::protobuf::FileDescriptorProto*> blocked;
    for (const auto* file : pending) {
      bool ready = true;
      for (const auto& dependency : file->dependency()) {
        if (pool->FindFileByName(dependency) == nullptr) ready = false;
      }
      if (!ready) {
        blocked.push_back(file);
        continue;
      }
      ErrorCollector errors;
      if (pool->BuildFileCollectingErrors(*file, &errors) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("descriptor set: ", file->name(), " does not build: ", errors.Joined()));
      }
    }
    if (blocked.size() == pending.size()) {
      const auto* file = blocked.front();
      for (const auto& dependency : file->dependency()) {
        if (pool->FindFileByName(dependency) == nullptr) {
          return absl::InvalidArgumentError(absl::StrCat(
              "descriptor set: ", file->name(), " imports ", dependency,
              ", which neither the set nor the pool holds (protoc --include_imports adds it)"));
        }
      }
    }
    pending = std::move(blocked);
  }
  return absl::OkStatus();
}

}  // namespace switchboard::gateway::rest
