// Hybrid logical clock (Kulkarni et al.): wall milliseconds plus a counter.
// It stamps this device's changes; the stamp orders only truly concurrent
// writes (causality is carried by each write's pred and each change's deps,
// see replica.hpp). The clock is injected: callers pass the current wall
// time; this module reads no clock.
#pragma once
#include <compare>
#include <cstdint>

namespace packline {

struct hlc_timestamp {
  std::uint64_t wall_ms = 0;
  std::uint32_t counter = 0;
  auto operator<=>(const hlc_timestamp&) const = default;
};

class hlc_clock {
 public:
  explicit hlc_clock(hlc_timestamp last = {}) : last_(last) {}
  // Timestamp for a local event at wall time `now_ms`: always above every
  // earlier one of this clock, so a device's stamps never repeat.
  hlc_timestamp tick(std::uint64_t now_ms);
  // Merges a remote timestamp, unless it is more than max_clock_skew_ms ahead
  // of `now_ms`: a device with a clock far ahead must not drag every other
  // clock with it (its change is applied all the same; see replica/apply.cpp).
  hlc_timestamp observe(hlc_timestamp remote, std::uint64_t now_ms);
  hlc_timestamp last() const { return last_; }

 private:
  hlc_timestamp last_;
};

}  // namespace packline
