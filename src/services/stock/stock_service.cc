#include "services/stock/stock_service.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/bus/open_bus.h"
#include "common/ids.h"
#include "common/status.h"
#include "services/stock/publish_reactor.h"
#include "services/stock/symbol.h"
#include "services/stock/watch_reactor.h"
#include "switchboard/stock/v1/stock.grpc.pb.h"

namespace switchboard::stock {

// The grpc++ side: validates requests and hands streams to their reactors (watch_reactor.h,
// publish_reactor.h); all price state lives in the MarketFeed.
class StockGrpcService final : public v1::StockService::CallbackService {
 public:
  StockGrpcService(MarketFeed* feed, const TickSink* sink, const StockConfig& config)
      : feed_(feed),
        sink_(sink),
        stream_queue_(static_cast<size_t>(config.stream_queue)),
        max_streams_(config.max_streams) {}

  grpc::ServerWriteReactor<v1::PriceUpdate>* WatchStockPrice(
      grpc::CallbackServerContext* /*context*/, const v1::StockRequest* request) override {
    auto* reactor = new WatchReactor(stream_queue_);
    if (auto invalid = ValidateSymbol(request->symbol()); !invalid.ok()) {
      reactor->Close(common::ToGrpcStatus(invalid));
      return reactor;
    }
    if (open_watches_.fetch_add(1) >= max_streams_) {
      open_watches_.fetch_sub(1);
      reactor->Close(
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       absl::StrCat("max_streams: ", max_streams_, " watch streams already open")));
      return reactor;
    }
    const std::string symbol = request->symbol();
    // Runs before the reactor is deleted; Unsubscribe takes the symbol's registry lock, which
    // every fan-out holds, so no tick can reach a deleted reactor.
    reactor->SetOnDone([this, reactor, symbol] {
      feed_->Unsubscribe(symbol, reactor);
      open_watches_.fetch_sub(1);
    });
    if (auto subscribed = feed_->Subscribe(symbol, reactor); !subscribed.ok()) {
      reactor->Close(common::ToGrpcStatus(subscribed));
    }
    return reactor;
  }

  grpc::ServerUnaryReactor* GetPrice(grpc::CallbackServerContext* context,
                                     const v1::StockRequest* request,
                                     v1::PriceUpdate* response) override {
    auto* reactor = context->DefaultReactor();
    if (auto invalid = ValidateSymbol(request->symbol()); !invalid.ok()) {
      reactor->Finish(common::ToGrpcStatus(invalid));
      return reactor;
    }
    auto latest = feed_->Latest(request->symbol());
    if (latest.ok()) *response = std::move(*latest);
    reactor->Finish(common::ToGrpcStatus(latest.status()));
    return reactor;
  }

  grpc::ServerReadReactor<v1::PriceUpdate>* PublishPrices(
      grpc::CallbackServerContext* /*context*/, v1::PublishPricesResponse* response) override {
    return new PublishReactor(sink_, &publishers_, response);
  }

  void CloseAllPublishers() { publishers_.CloseAll(); }
  int64_t open_watches() const { return open_watches_.load(); }

 private:
  MarketFeed* const feed_;
  const TickSink* const sink_;
  const size_t stream_queue_;
  const int64_t max_streams_;
  std::atomic<int64_t> open_watches_{0};
  OpenPublishers publishers_;
};

StockService::StockService(const StockConfig& config, StockDeps deps)
    : feed_(MarketFeedOptions{static_cast<uint64_t>(config.seed), config.symbols,
                              static_cast<size_t>(config.max_symbols), deps.clock}),
      bus_(deps.bus) {
  if (bus_ != nullptr) {
    shared_ = std::make_unique<SharedFeed>(&feed_, bus_, common::NewId("stock"),
                                           config.leader_lease, deps.clock);
    sink_ = [shared = shared_.get()](const v1::PriceUpdate& tick) { return shared->Ingest(tick); };
  } else {
    sink_ = [feed = &feed_](const v1::PriceUpdate& tick) {
      return feed->Publish(tick.symbol(), tick.price(), tick.timestamp());
    };
  }
  grpc_service_ = std::make_unique<StockGrpcService>(&feed_, &sink_, config);
  if (deps.run_ticker) {
    ticker_ = std::make_unique<Ticker>(config.tick_interval, [this] {
      if (shared_) {
        shared_->Tick();
      } else {
        feed_.Tick();
      }
    });
  }
}

absl::Status StockService::Start() { return shared_ ? shared_->Start() : absl::OkStatus(); }

StockService::~StockService() = default;

std::vector<grpc::Service*> StockService::GrpcServices() { return {grpc_service_.get()}; }

int64_t StockService::open_watch_streams() const { return grpc_service_->open_watches(); }

void StockService::AttachHealth(std::function<void(bool serving)> set_serving) {
  health_.Attach(bus_, std::move(set_serving));
}

void StockService::BeginShutdown() {
  health_.Stop();  // no report from here on
  if (ticker_) ticker_->Stop();
  grpc_service_->CloseAllPublishers();
  if (shared_) shared_->Stop();
  feed_.Close();
  spdlog::info("stock: shutting down; {} price updates dropped for slow watchers",
               feed_.DroppedTotal());
}

absl::StatusOr<std::unique_ptr<StockService>> NewStockService(const common::ServiceOptions& options,
                                                              StockDeps deps) {
  auto config = ParseStockConfig(options.settings);
  if (!config.ok()) return config.status();
  auto service = std::make_unique<StockService>(*config, std::move(deps));
  if (auto started = service->Start(); !started.ok()) return started;
  return service;
}

absl::StatusOr<std::unique_ptr<common::Service>> MakeStockService(
    const common::ServiceOptions& options) {
  auto bus = bus::OpenSharedBus(options.bus, options.name);
  if (!bus.ok()) return bus.status();
  StockDeps deps;
  deps.bus = std::move(*bus);
  auto service = NewStockService(options, std::move(deps));
  if (!service.ok()) return service.status();
  return std::unique_ptr<common::Service>(std::move(*service));
}

}  // namespace switchboard::stock
