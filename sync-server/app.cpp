// Server start-up without networking (see app.hpp): options, store, default
// space, demo seeding, webapp folder. Runs on the main thread before serving.
#include "app.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/panel/demo.hpp"
#include "sqlite_store.hpp"

#ifndef PACKLINE_SOURCE_DIR
#define PACKLINE_SOURCE_DIR ""
#endif

namespace packline::server {
namespace {

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

std::filesystem::path exe_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p.parent_path();
}

// Stores the demo clerk's envelopes when the demo space is empty, checking
// each one as a push would be checked: a broken demo must not reach clients.
result<void> seed_demo(store& db) {
  bytes space = demo::space_id();
  auto cur = db.cursor(space);
  if (!cur) return cur.err();
  if (cur.value() > 0) return {};
  auto envs = demo::envelopes(now_ms());
  if (!envs) return envs.err();
  std::vector<incoming_change> batch;
  for (const auto& raw : envs.value()) {
    auto e = codec::decode_envelope(raw);
    if (!e) return make_error(e.err().code, "demo envelope: " + e.err().message);
    if (e.value().space != space) return make_error(errc::wrong_space, "demo envelope for another space");
    auto ok = crypto::verify_envelope(e.value());
    if (!ok) return make_error(ok.err().code, "demo envelope: " + ok.err().message);
    batch.push_back(incoming_change{e.value().actor, e.value().seq, raw});
  }
  // Pushes are capped at max_push_envelopes, but seeding is local: one
  // transaction keeps the space all-or-nothing.
  auto stored = db.append(space, batch);
  if (!stored) return stored.err();
  log(log_level::info, "demo space seeded",
      {{"space", to_hex(space)}, {"changes", static_cast<std::uint64_t>(batch.size())}});
  return {};
}

}  // namespace

std::string usage() {
  return "usage: packline-server [--host ADDR] [--port N] [--data DIR] [--webapp DIR] [--demo]\n"
         "                       [--tls-cert PEM --tls-key PEM] [--log-level debug|info|warn|error]\n"
         "                       [--log-format text|json]\n"
         "  --host ADDR    address to listen on (default 127.0.0.1)\n"
         "  --port N       TCP port (default 8080; 0 picks a free one)\n"
         "  --data DIR     folder of the server store (default ./packline-data; created)\n"
         "  --webapp DIR   built webapp to serve (default: <exe>/../webapp/dist or the\n"
         "                 source tree's webapp/dist)\n"
         "  --demo         serve the demo panel as the default space (seeded when empty)\n"
         "  --tls-cert PEM certificate chain: serve HTTPS/WSS only (tablets on the internet)\n"
         "  --tls-key PEM  its private key (both or neither; plain HTTP is for loopback and tests)\n"
         "  --max-outbound-mb N  memory for frames queued to all clients together (default 64);\n"
         "                 past it the clients holding the most (readers that stopped) are cut\n"
         "  --log-format F text (key=value, the default) or json (one object per line)\n"
         "  --version      print the version and exit\n"
         "       packline-server backup DEST [--data DIR]\n"
         "                 a consistent copy of the store into the empty folder DEST, while\n"
         "                 the server runs (SQLite's online backup, then an integrity check)\n";
}

result<std::string> backup(const std::vector<std::string>& args) {
  std::string data = options{}.data_dir, dest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--data" && i + 1 < args.size()) data = args[++i];
    else if (a.rfind("--data=", 0) == 0) data = a.substr(7);
    else if (a.rfind("-", 0) == 0 || !dest.empty())
      return make_error(errc::invalid_argument, "usage: packline-server backup DEST [--data DIR]; not understood: " + a);
    else dest = a;
  }
  if (dest.empty()) return make_error(errc::invalid_argument, "usage: packline-server backup DEST [--data DIR]");
  auto size = sqlite_store::backup(data, dest);
  if (!size) return size.err();
  return "backed up " + data + "/server.db to " + dest + "/server.db (" + std::to_string(*size) +
         " bytes, integrity checked); to restore, stop the server and start it with --data " + dest;
}

result<options> parse_options(const std::vector<std::string>& args) {
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string val;
    bool has_inline = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    auto need = [&](std::string& out) -> bool {
      if (has_inline) { out = val; return true; }
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--version") {
      o.version = true;
    } else if (a == "--demo") {
      o.demo = true;
    } else if (a == "--host") {
      if (!need(o.host) || o.host.empty()) return make_error(errc::invalid_argument, "--host needs an address");
    } else if (a == "--port") {
      std::string v;
      if (!need(v)) return make_error(errc::invalid_argument, "--port needs a number");
      unsigned p = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec != std::errc() || ptr != v.data() + v.size() || p > 65535)
        return make_error(errc::invalid_argument, "--port must be 0..65535, got " + v);
      o.port = static_cast<std::uint16_t>(p);
    } else if (a == "--data") {
      if (!need(o.data_dir) || o.data_dir.empty()) return make_error(errc::invalid_argument, "--data needs a folder");
    } else if (a == "--webapp") {
      if (!need(o.webapp_dir) || o.webapp_dir.empty()) return make_error(errc::invalid_argument, "--webapp needs a folder");
    } else if (a == "--tls-cert") {
      if (!need(o.tls_cert) || o.tls_cert.empty()) return make_error(errc::invalid_argument, "--tls-cert needs a file");
    } else if (a == "--tls-key") {
      if (!need(o.tls_key) || o.tls_key.empty()) return make_error(errc::invalid_argument, "--tls-key needs a file");
    } else if (a == "--max-outbound-mb") {
      std::string v;
      if (!need(v)) return make_error(errc::invalid_argument, "--max-outbound-mb needs a number");
      unsigned mb = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), mb);
      if (ec != std::errc() || ptr != v.data() + v.size() || mb < 1 || mb > 65536)
        return make_error(errc::invalid_argument, "--max-outbound-mb must be 1..65536, got " + v);
      o.outbound_cap = std::size_t(mb) << 20;
    } else if (a == "--log-level") {
      std::string v;
      if (!need(v)) return make_error(errc::invalid_argument, "--log-level needs a level");
      if (v == "debug") o.level = log_level::debug;
      else if (v == "info") o.level = log_level::info;
      else if (v == "warn") o.level = log_level::warn;
      else if (v == "error") o.level = log_level::error;
      else return make_error(errc::invalid_argument, "unknown log level " + v);
    } else if (a == "--log-format") {
      std::string v;
      if (!need(v)) return make_error(errc::invalid_argument, "--log-format needs text or json");
      if (v == "text") o.format = log_format::text;
      else if (v == "json") o.format = log_format::json;
      else return make_error(errc::invalid_argument, "unknown log format " + v + " (text or json)");
    } else {
      return make_error(errc::invalid_argument, "unknown argument " + args[i]);
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty())
    return make_error(errc::invalid_argument, "--tls-cert and --tls-key go together");
  return o;
}

std::string default_webapp_dir() {
  std::error_code ec;
  std::vector<std::filesystem::path> candidates;
  auto exe = exe_dir();
  // Installed (cmake --install): <prefix>/bin/../share/packline/webapp.
  if (!exe.empty()) candidates.push_back(exe / ".." / "share" / "packline" / "webapp");
  if (!exe.empty()) candidates.push_back(exe / ".." / "webapp" / "dist");
  std::filesystem::path src(PACKLINE_SOURCE_DIR);
  if (!src.empty()) candidates.push_back(src / "webapp" / "dist");
  for (const auto& c : candidates) {
    if (std::filesystem::is_directory(c, ec)) return std::filesystem::weakly_canonical(c, ec).string();
  }
  return candidates.empty() ? std::string("webapp/dist") : candidates.back().string();
}

result<std::unique_ptr<app>> make_app(const options& opts) {
  PL_TRY(crypto::init());
  auto a = std::make_unique<app>();
  a->opts = opts;
  auto db = sqlite_store::open(opts.data_dir);
  if (!db) return db.err();
  log(log_level::info, "store open",
      {{"path", db.value()->path()}, {"schema_version", db.value()->schema_version()},
       {"integrity", db.value()->integrity()}});
  if (db.value()->integrity() != "ok")
    log(log_level::warn, "store integrity check did not finish in its time budget; reads still check digests",
        {{"path", db.value()->path()}});
  a->db = std::move(db.value());

  if (opts.demo) {
    PL_TRY(seed_demo(*a->db));
    a->default_space = demo::space_id();
  } else {
    auto s = a->db->ensure_default_space(crypto::random_bytes(16));
    if (!s) return s.err();
    a->default_space = s.value();
  }
  a->webapp_dir = opts.webapp_dir.empty() ? default_webapp_dir() : opts.webapp_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(a->webapp_dir, ec))
    log(log_level::warn, "webapp folder missing; static requests will 404", {{"webapp", a->webapp_dir}});
  return a;
}

}  // namespace packline::server
