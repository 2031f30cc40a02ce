// Wrong device clocks for tests: one true time (the server's) and, per
// device, the time its own clock reads, off by a skew that a test sets, picks
// at random, or puts right mid-run. Header-only, no I/O: the engine
// convergence test and the workflow tests pass `now(i)` wherever a device
// hands the core its now_ms.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace packline::test {

inline constexpr std::int64_t minute_ms = 60'000;
inline constexpr std::int64_t day_ms = 24 * 60 * minute_ms;
inline constexpr std::int64_t year_ms = 365 * day_ms;

// The clocks tablets have in the field: right, ±2 minutes (drift), ±1 day (a
// time zone or date set by hand), ±1 year (a flat battery, a wrong year).
inline constexpr std::array<std::int64_t, 7> field_skews = {0, 2 * minute_ms, -2 * minute_ms, day_ms,
                                                            -day_ms, year_ms, -year_ms};

class device_clocks {
 public:
  device_clocks(std::size_t devices, std::uint64_t true_start_ms) : true_(true_start_ms), skew_(devices, 0) {}

  std::uint64_t true_ms() const { return true_; }
  void advance(std::uint64_t ms) { true_ += ms; }

  // What device i's clock reads now.
  std::uint64_t now(std::size_t i) const { return static_cast<std::uint64_t>(static_cast<std::int64_t>(true_) + skew_.at(i)); }
  std::int64_t skew(std::size_t i) const { return skew_.at(i); }
  void set_skew(std::size_t i, std::int64_t s) { skew_.at(i) = s; }

  // Sets device i's clock to one of field_skews (possibly right again).
  template <class Rng>
  void pick(std::size_t i, Rng& rng) {
    skew_.at(i) = field_skews[static_cast<std::size_t>(rng() % field_skews.size())];
  }
  // Every device a random field skew; with three or more devices, device 1 is
  // a year ahead and device 2 a year behind, so every run has both.
  template <class Rng>
  void pick_all(Rng& rng) {
    for (std::size_t i = 0; i < skew_.size(); ++i) pick(i, rng);
    if (skew_.size() >= 3) {
      skew_[1] = year_ms;
      skew_[2] = -year_ms;
    }
  }
  // Mid-run: with probability 1/one_in, one device's clock is set anew (set
  // wrong, or put right). Returns whether a clock changed.
  template <class Rng>
  bool maybe_change(Rng& rng, std::uint64_t one_in) {
    if (skew_.empty() || rng() % one_in != 0) return false;
    pick(static_cast<std::size_t>(rng() % skew_.size()), rng);
    return true;
  }

 private:
  std::uint64_t true_;
  std::vector<std::int64_t> skew_;
};

}  // namespace packline::test
