// Prometheus text rendering of the server counters (see metrics.hpp), with
// the process's CPU, memory and descriptors read from /proc (Linux).
#include "metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace packline::server {
namespace {

void emit(std::string& out, const char* name, const char* type, const char* help,
          std::uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

// Whole numbers in full (byte counts), fractions to six digits.
std::string number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void emit_double(std::string& out, const char* name, const char* type, const char* help, double value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(number(value)).append("\n");
}

// The standard process_* metrics of Prometheus client libraries, from /proc.
void emit_process(std::string& out) {
  long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the parenthesised command name (which may hold spaces).
    auto close = line.rfind(')');
    std::istringstream rest(close == std::string::npos ? std::string() : line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string w; rest >> w;) f.push_back(w);
    // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
    if (f.size() > 22 && ticks > 0) {
      double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
      emit_double(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", cpu);
      double boot = 0;
      std::ifstream procstat("/proc/stat");
      for (std::string l; std::getline(procstat, l);)
        if (l.rfind("btime ", 0) == 0) boot = std::stod(l.substr(6));
      emit_double(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.",
                  std::floor(boot + std::stod(f[19]) / static_cast<double>(ticks)));
      emit_double(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(f[20]));
      emit_double(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                  std::stod(f[21]) * static_cast<double>(page));
    }
  }
  std::uint64_t fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    emit(out, "process_open_fds", "gauge", "Number of open file descriptors.", fds > 0 ? fds - 1 : 0);  // not opendir's own
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
    emit(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", rl.rlim_cur);
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

void histogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(0.0, seconds) * 1e6)), std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void histogram::render(std::string& out, const char* name, const char* help) const {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" histogram\n");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{le=\"").append(i < bounds.size() ? number(bounds[i]) : "+Inf");
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  out.append(name).append("_sum ").append(number(static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6)).append("\n");
  out.append(name).append("_count ").append(std::to_string(count_.load(std::memory_order_relaxed))).append("\n");
}

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
  out.reserve(8192);
  out.append("# HELP packline_build_info The running build: its version (always 1).\n");
  out.append("# TYPE packline_build_info gauge\n");
  out.append("packline_build_info{version=\"" PACKLINE_VERSION "\"} 1\n");
  std::int64_t conn = connections.load(std::memory_order_relaxed);
  emit(out, "packline_connections", "gauge", "Open WebSocket sync sessions.",
       conn < 0 ? 0 : static_cast<std::uint64_t>(conn));
  emit(out, "packline_connections_total", "counter", "WebSocket sync sessions accepted.",
       ld(connections_total));
  emit(out, "packline_authenticated_total", "counter", "Sessions that completed auth.",
       ld(authenticated_total));
  emit(out, "packline_stored_changes_total", "counter", "Changes newly stored from pushes.",
       ld(changes_in));
  emit(out, "packline_replayed_changes_total", "counter",
       "Pushed changes that were already stored (acked, not stored again).",
       ld(changes_replayed));
  emit(out, "packline_sent_changes_total", "counter", "Changes sent in answers to pulls.",
       ld(changes_out));
  emit(out, "packline_received_frames_total", "counter", "WebSocket frames received.", ld(frames_in));
  emit(out, "packline_sent_frames_total", "counter", "WebSocket frames sent.", ld(frames_out));
  emit(out, "packline_sent_notifies_total", "counter", "notify events given to sessions (a session coalesces bursts into one frame).",
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
  emit(out, "packline_received_bytes_total", "counter", "WebSocket payload bytes received.", ld(bytes_in));
  emit(out, "packline_sent_bytes_total", "counter", "WebSocket payload bytes sent.", ld(bytes_out));
  emit(out, "packline_auth_failures_total", "counter", "Challenge signatures that did not verify.",
       ld(auth_failures));
  emit(out, "packline_keyring_loads_total", "counter",
       "Spaces' membership read from the store's history (once per space after a start).", ld(keyring_loads));
  emit(out, "packline_sent_live_frames_total", "counter", "live frames queued to v2 sessions.",
       ld(live_frames_out));
  emit(out, "packline_sent_live_changes_total", "counter", "Changes delivered in live frames.",
       ld(live_changes_out));
  emit(out, "packline_coalesced_live_frames_total", "counter",
       "live frames merged into the previous queued one (writes saved).", ld(live_coalesced));
  emit(out, "packline_commits_total", "counter", "Store transactions of pushes (one sync each).", ld(commits));
  emit(out, "packline_committed_pushes_total", "counter",
       "Pushes made durable (pushes per commit = group commit size).", ld(committed_pushes));
  emit(out, "packline_snapshots_stored_total", "counter", "Snapshot uploads completed.", ld(snapshots_stored));
  emit(out, "packline_sent_snapshot_bytes_total", "counter", "Snapshot frame bytes sent.", ld(snapshot_bytes_out));
  auto gauge = [&](const char* name, const char* help, const std::atomic<std::int64_t>& g) {
    std::int64_t v = g.load(std::memory_order_relaxed);
    emit(out, name, "gauge", help, v < 0 ? 0 : static_cast<std::uint64_t>(v));
  };
  gauge("packline_verify_queue", "Pushes waiting for signature checks.", verify_queue);
  gauge("packline_store_queue", "Jobs waiting for the store thread.", store_queue);
  gauge("packline_outbound_queue_bytes", "Bytes queued in all sessions' outbound queues.", outbound_bytes);
  gauge("packline_outbound_queue_frames", "Frames queued in all sessions' outbound queues.", outbound_frames);
  push_seconds.render(out, "packline_push_seconds", "From a push's arrival to its ack (checks and durable commit).");
  pull_seconds.render(out, "packline_pull_seconds", "From a pull's arrival to its answer.");
  auth_seconds.render(out, "packline_auth_seconds", "From a device's signed auth to its welcome.");
  out.append("# HELP packline_errors_total Protocol errors sent, by code.\n");
  out.append("# TYPE packline_errors_total counter\n");
  for (std::uint32_t c = 0; c <= max_error_code; ++c) {
    out.append("packline_errors_total{code=\"").append(std::to_string(c));
    out.append("\",name=\"").append(error_name(c)).append("\"} ");
    out.append(std::to_string(errors(c))).append("\n");
  }
  emit_process(out);
  return out;
}

}  // namespace packline::server
