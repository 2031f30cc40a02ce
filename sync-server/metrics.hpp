// Process-wide counters for /metrics (Prometheus text format 0.0.4). Counters
// are relaxed atomics so any thread may bump them; render() reads a snapshot
// that may be skewed by a few increments, which Prometheus tolerates.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace packline::server {

class metrics {
 public:
  // Error codes of PROTOCOL.md are 1..9; anything else is counted as code 0.
  static constexpr std::size_t max_error_code = 15;

  std::atomic<std::int64_t> connections{0};          // open WebSocket sessions (gauge)
  std::atomic<std::uint64_t> connections_total{0};   // WebSocket sessions accepted
  std::atomic<std::uint64_t> authenticated_total{0}; // sessions that reached welcome
  std::atomic<std::uint64_t> changes_in{0};          // envelopes newly stored
  std::atomic<std::uint64_t> changes_replayed{0};    // envelopes acked from an earlier store
  std::atomic<std::uint64_t> changes_out{0};         // envelopes sent in changes frames
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> notifies_out{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> slow_consumers_closed{0};

  void count_error(std::uint32_t code);
  std::uint64_t errors(std::uint32_t code) const;

  std::string render() const;

 private:
  std::array<std::atomic<std::uint64_t>, max_error_code + 1> errors_{};
};

}  // namespace packline::server
