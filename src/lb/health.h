// An endpoint's active health: consecutive check results against thresholds, so one lost
// probe does not take a backend out and one good answer can bring it back.
#pragma once

#include <chrono>
#include <cstdint>

namespace switchboard::lb {

struct HealthOptions {
  bool enabled = true;
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds timeout{250};
  int unhealthy_threshold = 2;  // failed checks in a row that take an endpoint out
  int healthy_threshold = 1;    // passed checks in a row that bring it back
};

class HealthState {
 public:
  // An endpoint is assumed healthy until checks say otherwise: a gateway starting next to
  // its backends serves at once.
  bool healthy() const { return healthy_; }
  // Records one check; true when this flipped healthy().
  bool Record(bool passed, const HealthOptions& options);
  // The endpoint cannot be checked (it has no health service): healthy, as if checks were
  // off (gRFC A17). True when this flipped healthy().
  bool Uncheckable();

 private:
  bool healthy_ = true;
  int passed_in_row_ = 0;
  int failed_in_row_ = 0;
};

}  // namespace switchboard::lb
