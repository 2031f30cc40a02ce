// Prometheus text rendering of the server counters (see metrics.hpp).
#include "metrics.hpp"

namespace packline::server {
namespace {

void emit(std::string& out, const char* name, const char* type, const char* help,
          std::uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

// Wire error names of PROTOCOL.md, used as the label so dashboards read well.
const char* error_name(std::uint32_t code) {
  switch (code) {
    case 1: return "malformed";
    case 2: return "too_large";
    case 3: return "bad_state";
    case 4: return "auth_failed";
    case 5: return "bad_signature";
    case 6: return "wrong_space";
    case 7: return "not_actor";
    case 8: return "unsupported_version";
    case 9: return "storage";
    case 10: return "resync";
    case 11: return "gone";
    case 12: return "not_member";
    case 13: return "revoked";
    case 14: return "forbidden";
    case 15: return "unavailable";
    default: return "other";
  }
}

}  // namespace

void metrics::count_error(std::uint32_t code) {
  if (code > max_error_code) code = 0;
  errors_[code].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t metrics::errors(std::uint32_t code) const {
  if (code > max_error_code) code = 0;
  return errors_[code].load(std::memory_order_relaxed);
}

std::string metrics::render() const {
  auto ld = [](const auto& a) { return static_cast<std::uint64_t>(a.load(std::memory_order_relaxed)); };
  std::string out;
  out.reserve(2048);
  std::int64_t conn = connections.load(std::memory_order_relaxed);
  emit(out, "packline_connections", "gauge", "Open WebSocket sync sessions.",
       conn < 0 ? 0 : static_cast<std::uint64_t>(conn));
  emit(out, "packline_connections_total", "counter", "WebSocket sync sessions accepted.",
       ld(connections_total));
  emit(out, "packline_authenticated_total", "counter", "Sessions that completed auth.",
       ld(authenticated_total));
  emit(out, "packline_changes_in_total", "counter", "Envelopes newly stored from pushes.",
       ld(changes_in));
  emit(out, "packline_changes_replayed_total", "counter",
       "Pushed envelopes that were already stored (acked, not stored again).",
       ld(changes_replayed));
  emit(out, "packline_changes_out_total", "counter", "Envelopes sent in changes frames.",
       ld(changes_out));
  emit(out, "packline_frames_in_total", "counter", "WebSocket frames received.", ld(frames_in));
  emit(out, "packline_frames_out_total", "counter", "WebSocket frames sent.", ld(frames_out));
  emit(out, "packline_notifies_out_total", "counter", "notify events given to sessions (a session coalesces bursts into one frame).",
       ld(notifies_out));
  emit(out, "packline_http_requests_total", "counter", "HTTP requests served.",
       ld(http_requests));
  emit(out, "packline_slow_consumers_closed_total", "counter",
       "Sessions closed because their outbound queue overflowed.", ld(slow_consumers_closed));
  emit(out, "packline_sessions_shed_total", "counter",
       "Sessions told to resync because the server's outbound memory reached its cap.", ld(sessions_shed));
  emit(out, "packline_spaces_unavailable", "gauge",
       "Spaces refused because their stored data failed a digest or integrity check.",
       static_cast<std::uint64_t>(unavailable_spaces.size()));
  emit(out, "packline_bytes_in_total", "counter", "WebSocket payload bytes received.", ld(bytes_in));
  emit(out, "packline_bytes_out_total", "counter", "WebSocket payload bytes sent.", ld(bytes_out));
  emit(out, "packline_auth_failures_total", "counter", "Challenge signatures that did not verify.",
       ld(auth_failures));
  emit(out, "packline_keyring_loads_total", "counter",
       "Spaces' membership read from the store's history (once per space after a start).", ld(keyring_loads));
  emit(out, "packline_live_frames_out_total", "counter", "live frames queued to v2 sessions.",
       ld(live_frames_out));
  emit(out, "packline_live_changes_out_total", "counter", "Changes delivered in live frames.",
       ld(live_changes_out));
  emit(out, "packline_live_coalesced_total", "counter",
       "live frames merged into the previous queued one (writes saved).", ld(live_coalesced));
  emit(out, "packline_commits_total", "counter", "Store transactions of pushes (one sync each).", ld(commits));
  emit(out, "packline_committed_pushes_total", "counter",
       "Pushes made durable (pushes per commit = group commit size).", ld(committed_pushes));
  emit(out, "packline_snapshots_stored_total", "counter", "Snapshot uploads completed.", ld(snapshots_stored));
  emit(out, "packline_snapshot_bytes_out_total", "counter", "Snapshot frame bytes sent.", ld(snapshot_bytes_out));
  auto gauge = [&](const char* name, const char* help, const std::atomic<std::int64_t>& g) {
    std::int64_t v = g.load(std::memory_order_relaxed);
    emit(out, name, "gauge", help, v < 0 ? 0 : static_cast<std::uint64_t>(v));
  };
  gauge("packline_verify_queue", "Pushes waiting for signature checks.", verify_queue);
  gauge("packline_store_queue", "Jobs waiting for the store thread.", store_queue);
  gauge("packline_outbound_queue_bytes", "Bytes queued in all sessions' outbound queues.", outbound_bytes);
  gauge("packline_outbound_queue_frames", "Frames queued in all sessions' outbound queues.", outbound_frames);
  out.append("# HELP packline_errors_total Protocol errors sent, by code.\n");
  out.append("# TYPE packline_errors_total counter\n");
  for (std::uint32_t c = 1; c <= 11; ++c) {
    out.append("packline_errors_total{code=\"").append(std::to_string(c));
    out.append("\",name=\"").append(error_name(c)).append("\"} ");
    out.append(std::to_string(errors(c))).append("\n");
  }
  std::uint64_t other = errors(0);
  for (std::uint32_t c = 12; c <= max_error_code; ++c) other += errors(c);
  out.append("packline_errors_total{code=\"0\",name=\"other\"} ").append(std::to_string(other)).append("\n");
  return out;
}

}  // namespace packline::server
