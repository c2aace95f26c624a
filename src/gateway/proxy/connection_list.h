// The open client connections of one kind, held weakly (each connection owns itself until it
// closes) so that a stopping gateway can drain them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace switchboard::gateway {

template <typename Connection>
class ConnectionList {
 public:
  void Add(std::weak_ptr<Connection> connection) {
    connections_.push_back(std::move(connection));
    // Closed ones are forgotten whenever the list has doubled: O(open connections) in all.
    if (connections_.size() >= 2 * pruned_at_ + kMinPruneSize) {
      connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                        [](const auto& weak) { return weak.expired(); }),
                         connections_.end());
      pruned_at_ = connections_.size();
    }
  }

  template <typename Function>
  void ForEachOpen(Function&& function) const {
    for (const auto& weak : connections_) {
      if (auto connection = weak.lock()) function(*connection);
    }
  }

  size_t CountOpen() const {
    return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(),
                                             [](const auto& weak) { return !weak.expired(); }));
  }

 private:
  static constexpr size_t kMinPruneSize = 64;
  std::vector<std::weak_ptr<Connection>> connections_;
  size_t pruned_at_ = 0;
};

}  // namespace switchboard::gateway
