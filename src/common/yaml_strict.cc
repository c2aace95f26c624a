#include "common/yaml_strict.h"

#include <yaml-cpp/eventhandler.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace switchboard::common {
namespace {

// YAML's merge key (`<<: *defaults`) may repeat by design; it is not a setting.
constexpr char kMergeKey[] = "<<";

// Walks the parse events, keeping per open map the keys seen so far with their lines, and
// throws at the first key seen twice. yaml-cpp's node API cannot tell: a duplicate is gone
// by the time a YAML::Node exists.
class DuplicateKeyFinder : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override { frames_.clear(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark, nullptr, false); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark, nullptr, false); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    Node(mark, &value, false);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark, nullptr, true);
    frames_.push_back(Frame{false, PathOfNext()});
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark, nullptr, true);
    frames_.push_back(Frame{true, PathOfNext()});
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool is_map;
    std::string path;  // "services.ticket"; "" at the top
    bool expecting_key = true;
    std::string key;                   // the key whose value comes next
    std::map<std::string, int> lines;  // key -> the line it was first given on (1-based)
  };

  // The path of the node a collection that starts now is the value of.
  std::string PathOfNext() const { return pending_path_; }

  // Every node event: a key or a value of the innermost map, or an item of a sequence.
  void Node(const YAML::Mark& mark, const std::string* scalar, bool collection) {
    pending_path_.clear();
    if (frames_.empty()) return;
    Frame& frame = frames_.back();
    if (!frame.is_map) {
      pending_path_ = absl::StrCat(frame.path, "[]");
      return;
    }
    if (frame.expecting_key) {
      frame.expecting_key = false;
      frame.key = scalar != nullptr ? *scalar : std::string();
      // A complex key (a map or list as a key) or an alias is not compared.
      if (scalar == nullptr || collection || frame.key == kMergeKey) return;
      const std::string path =
          frame.path.empty() ? frame.key : absl::StrCat(frame.path, ".", frame.key);
      auto [first, inserted] = frame.lines.emplace(frame.key, mark.line + 1);
      if (!inserted) {
        throw YAML::ParserException(
            mark, absl::StrCat("duplicate key \"", path, "\" (first at line ", first->second, ")"));
      }
      return;
    }
    frame.expecting_key = true;
    pending_path_ = frame.path.empty() ? frame.key : absl::StrCat(frame.path, ".", frame.key);
  }

  std::vector<Frame> frames_;
  std::string pending_path_;
};

}  // namespace

YAML::Node LoadYamlStrict(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DuplicateKeyFinder finder;
  // The first document only, the one YAML::Load returns: on some malformed streams (a lone ",")
  // yaml-cpp 0.7 reports a next document forever (jbeder/yaml-cpp#1040), so a loop would not end.
  parser.HandleNextDocument(finder);
  return YAML::Load(text);
}

absl::StatusOr<YAML::Node> LoadYamlFileStrict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read the file"));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return LoadYamlStrict(text.str());
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
}

}  // namespace switchboard::common
