// Hybrid logical clock (Kulkarni et al.): wall milliseconds plus a counter, so
// timestamps follow causality even when device clocks disagree. The clock is
// injected: callers pass the current wall time; this module reads no clock.
#pragma once
#include <compare>
#include <cstdint>

#include "packline/result.hpp"

namespace packline {

struct hlc_timestamp {
  std::uint64_t wall_ms = 0;
  std::uint32_t counter = 0;
  auto operator<=>(const hlc_timestamp&) const = default;
};

class hlc_clock {
 public:
  explicit hlc_clock(hlc_timestamp last = {}) : last_(last) {}
  // Timestamp for a local event at wall time `now_ms`.
  hlc_timestamp tick(std::uint64_t now_ms);
  // Merge a remote timestamp; refuses one more than max_clock_skew_ms ahead.
  result<hlc_timestamp> observe(hlc_timestamp remote, std::uint64_t now_ms);
  hlc_timestamp last() const { return last_; }

 private:
  hlc_timestamp last_;
};

}  // namespace packline
