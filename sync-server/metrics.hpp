// Process-wide counters, gauges and latency histograms for /metrics
// (Prometheus text format 0.0.4), with the build's version and the process's
// own figures. Everything is a relaxed atomic so any thread may bump it;
// render() reads a snapshot that may be skewed by a few increments, which
// Prometheus tolerates.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>

namespace packline::server {

// A latency histogram with fixed buckets in seconds (Prometheus `le` bounds),
// from half a millisecond to ten seconds.
class histogram {
 public:
  static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  void observe(double seconds);
  // Appends the _bucket, _sum and _count lines under one HELP/TYPE header.
  void render(std::string& out, const char* name, const char* help) const;

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};  // last: above every bound
  std::atomic<std::uint64_t> sum_us_{0};
  std::atomic<std::uint64_t> count_{0};
};

class metrics {
 public:
  // Error codes of PROTOCOL.md are 1..15; anything else is counted as code 0.
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
  std::atomic<std::uint64_t> slow_consumers_closed{0}; // sessions told to resync and dropped
  std::atomic<std::uint64_t> sessions_shed{0};         // ... of them, because the server-wide cap was reached
  std::atomic<std::uint64_t> bytes_in{0};            // WebSocket payload bytes received
  std::atomic<std::uint64_t> bytes_out{0};           // WebSocket payload bytes sent
  std::atomic<std::uint64_t> auth_failures{0};       // challenge signatures that did not verify
  std::atomic<std::uint64_t> keyring_loads{0};       // spaces' keyrings read from the store (once per space per start)
  std::atomic<std::uint64_t> live_frames_out{0};     // live frames queued to sessions
  std::atomic<std::uint64_t> live_changes_out{0};    // changes delivered in live frames
  std::atomic<std::uint64_t> live_coalesced{0};      // live frames merged into an earlier one
  std::atomic<std::uint64_t> commits{0};             // store transactions of pushes (group commits)
  std::atomic<std::uint64_t> committed_pushes{0};    // pushes in those transactions
  std::atomic<std::uint64_t> snapshots_stored{0};
  std::atomic<std::uint64_t> snapshot_bytes_out{0};
  // Queue depths (gauges).
  std::atomic<std::int64_t> verify_queue{0};         // pushes waiting for signature checks
  std::atomic<std::int64_t> store_queue{0};          // jobs waiting for the store thread
  std::atomic<std::int64_t> outbound_bytes{0};       // bytes queued in all sessions' outbound queues
  std::atomic<std::int64_t> outbound_frames{0};      // frames queued in all sessions' outbound queues

  // Latencies, from the frame's arrival to its answer being queued.
  histogram push_seconds;  // push -> ack (signature checks and the durable commit included)
  histogram pull_seconds;  // pull -> changes
  histogram auth_seconds;  // auth -> welcome (the keyring's first load included)

  // Spaces whose stored data failed a digest or integrity check: refused
  // (error unavailable) until the operator restores the store and restarts;
  // /readyz fails while any is listed. io thread only, like render().
  std::set<std::string> unavailable_spaces;  // hex ids

  void count_error(std::uint32_t code);
  std::uint64_t errors(std::uint32_t code) const;

  std::string render() const;

 private:
  std::array<std::atomic<std::uint64_t>, max_error_code + 1> errors_{};
};

}  // namespace packline::server
