#include "gateway/auth/jwks_refresher.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gateway/transport/tls_context.h"

namespace switchboard::gateway::auth {
namespace {

constexpr char kBackendCaFileKey[] = "tls.ca_file: ";

std::string Kids(const KeySet& set) {
  std::vector<std::string> kids;
  for (const auto& entry : set.keys) kids.push_back(entry.first.empty() ? "(none)" : entry.first);
  return absl::StrJoin(kids, ",");
}

}  // namespace

absl::StatusOr<std::shared_ptr<JwksRefresher>> JwksRefresher::Create(std::string provider,
                                                                     JwksFetchOptions options) {
  auto tls = transport::MakeClientTlsContext({options.ca_file, "", ""});
  if (!tls.ok()) {
    // Its errors name a backend's key (tls.ca_file); the caller names jwks_ca_file.
    return absl::InvalidArgumentError(absl::StripPrefix(tls.status().message(), kBackendCaFileKey));
  }
  return std::shared_ptr<JwksRefresher>(
      new JwksRefresher(std::move(provider), std::move(options), std::move(*tls)));
}

JwksRefresher::JwksRefresher(std::string provider, JwksFetchOptions options,
                             std::shared_ptr<boost::asio::ssl::context> tls)
    : provider_(std::move(provider)),
      options_(std::move(options)),
      client_(std::move(tls), {options_.timeout, options_.max_bytes}) {}

JwksRefresher::~JwksRefresher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  client_.Cancel();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JwksRefresher::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void JwksRefresher::RequestRefresh() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || stopping_ || refresh_requested_) return;
    if (std::chrono::steady_clock::now() - last_attempt_ < options_.min_refetch) return;
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

void JwksRefresher::Run() {
  while (true) {
    FetchOnce();
    std::unique_lock<std::mutex> lock(mutex_);
    // Without a key set every token of the provider is refused: try again sooner.
    const auto next = last_attempt_ + (Keys() ? options_.refresh : options_.min_refetch);
    wake_.wait_until(lock, next, [this] { return stopping_ || refresh_requested_; });
    if (stopping_) return;
    refresh_requested_ = false;
  }
}

void JwksRefresher::FetchOnce() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    last_attempt_ = std::chrono::steady_clock::now();
  }
  attempts_.fetch_add(1);
  absl::StatusOr<KeySet> keys = absl::UnknownError("not fetched");
  auto body = client_.Get(options_.url);
  if (body.ok()) {
    keys = ParseJwks(*body);
    if (!keys.ok())
      keys = absl::InvalidArgumentError(absl::StrCat("bad JWKS: ", keys.status().message()));
  } else {
    keys = body.status();
  }
  const std::shared_ptr<const KeySet> old = Keys();
  if (!keys.ok()) {
    if (keys.status().code() == absl::StatusCode::kCancelled) return;  // stopping
    if (old != nullptr) {
      spdlog::warn(
          "gateway auth: provider {}: fetching {} failed: {}; keeping the last good keys ({})",
          provider_, options_.url.text, std::string(keys.status().message()), Kids(*old));
    } else {
      spdlog::warn(
          "gateway auth: provider {}: fetching {} failed: {}; its tokens are refused until a "
          "fetch succeeds (next try within {} ms)",
          provider_, options_.url.text, std::string(keys.status().message()),
          options_.min_refetch.count());
    }
    return;
  }
  auto fresh = std::make_shared<const KeySet>(std::move(*keys));
  if (old == nullptr || Kids(*old) != Kids(*fresh)) {
    spdlog::info("gateway auth: provider {}: {} keys from {} (kids {})", provider_,
                 fresh->keys.size(), options_.url.text, Kids(*fresh));
  }
  std::atomic_store(&keys_, std::shared_ptr<const KeySet>(std::move(fresh)));
  successes_.fetch_add(1);
}

}  // namespace switchboard::gateway::auth
