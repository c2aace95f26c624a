#include "services/stock/stock_config.h"

#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/system_config.h"
#include "services/stock/symbol.h"

namespace switchboard::stock {
namespace {

constexpr char kContext[] = "services.stock";
constexpr std::chrono::milliseconds kMinTickInterval{1};
constexpr std::chrono::hours kMaxTickInterval{1};
constexpr int64_t kMaxStreamQueue = 1024;
constexpr int64_t kMaxMaxStreams = 1000000;
constexpr int64_t kMaxMaxSymbols = 1000000;
constexpr std::chrono::milliseconds kMinLeaderLease{300};
constexpr std::chrono::minutes kMaxLeaderLease{1};

absl::Status SettingError(const std::string& key, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(kContext, ".", key, ": ", message));
}

}  // namespace

absl::StatusOr<StockConfig> ParseStockConfig(const YAML::Node& settings) {
  StockConfig config;
  common::Settings reader(settings, kContext);
  config.seed = reader.Int("seed", config.seed, 0, std::numeric_limits<int64_t>::max());
  config.tick_interval =
      reader.Duration("tick_interval", config.tick_interval, kMinTickInterval, kMaxTickInterval);
  config.symbols = reader.StringList("symbols", config.symbols);
  config.stream_queue = reader.Int("stream_queue", config.stream_queue, 1, kMaxStreamQueue);
  config.max_streams = reader.Int("max_streams", config.max_streams, 1, kMaxMaxStreams);
  config.max_symbols = reader.Int("max_symbols", config.max_symbols, 1, kMaxMaxSymbols);
  config.leader_lease =
      reader.Duration("leader_lease", config.leader_lease, kMinLeaderLease, kMaxLeaderLease);
  if (auto status = reader.Finish(); !status.ok()) return status;

  std::set<std::string> seen;
  for (const std::string& symbol : config.symbols) {
    if (auto invalid = ValidateSymbol(symbol); !invalid.ok()) {
      return SettingError("symbols", std::string(invalid.message()));
    }
    if (!seen.insert(symbol).second) {
      return SettingError("symbols", absl::StrCat("\"", symbol, "\" is listed twice"));
    }
  }
  if (static_cast<int64_t>(config.symbols.size()) > config.max_symbols) {
    return SettingError("symbols", absl::StrCat(config.symbols.size(), " symbols, more than ",
                                                "max_symbols (", config.max_symbols, ")"));
  }
  return config;
}

}  // namespace switchboard::stock
