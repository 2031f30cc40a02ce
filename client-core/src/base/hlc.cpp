// Hybrid logical clock; see hlc.hpp. Pure arithmetic on injected wall time.
#include "packline/base/hlc.hpp"

#include <algorithm>

#include "packline/base/limits.hpp"

namespace packline {

hlc_timestamp hlc_clock::tick(std::uint64_t now_ms) {
  if (now_ms > last_.wall_ms) last_ = {now_ms, 0};
  else ++last_.counter;
  return last_;
}

hlc_timestamp hlc_clock::observe(hlc_timestamp remote, std::uint64_t now_ms) {
  if (remote.wall_ms > now_ms + limits::max_clock_skew_ms) return last_;  // not adopted (hlc.hpp)
  std::uint64_t wall = std::max({last_.wall_ms, remote.wall_ms, now_ms});
  std::uint32_t counter = 0;
  if (wall == last_.wall_ms && wall == remote.wall_ms) counter = std::max(last_.counter, remote.counter) + 1;
  else if (wall == last_.wall_ms) counter = last_.counter + 1;
  else if (wall == remote.wall_ms) counter = remote.counter + 1;
  last_ = {wall, counter};
  return last_;
}

}  // namespace packline
