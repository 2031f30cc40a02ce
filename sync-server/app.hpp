// Start-up of the server without networking: command-line options, the
// store, the default space (demo seeding) and the webapp folder. Built once in
// main() before the io_context runs; afterwards used by its one thread only.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "log.hpp"
#include "metrics.hpp"
#include "tuning.hpp"
#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"
#include "store.hpp"

namespace packline::server {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;           // 0: any free port (the "listening" log line tells which)
  std::string data_dir = "packline-data";
  std::string webapp_dir;              // empty: default_webapp_dir()
  std::string tls_cert;                // PEM chain; with tls_key: every connection is TLS
  std::string tls_key;                 // PEM private key
  bool demo = false;
  // Server-wide cap on bytes queued for clients (tuning.hpp explains the default).
  std::size_t outbound_cap = tuning::outbound_global_max_bytes;
  log_level level = log_level::info;
  log_format format = log_format::text;
  bool help = false;
  bool version = false;
};

// Parses argv (argv[0] is skipped). Errors are invalid_argument with a message.
result<options> parse_options(const std::vector<std::string>& args);
std::string usage();

// `packline-server backup DEST [--data DIR]`: a consistent online copy of the
// store (sqlite_store::backup) while the server runs. The message says what
// was written; errors say why not.
result<std::string> backup(const std::vector<std::string>& args);

// First existing of: <exe dir>/../share/packline/webapp (installed),
// <exe dir>/../webapp/dist, the source tree's webapp/dist.
// When none exists, the source tree's path (static requests then 404).
std::string default_webapp_dir();

// Everything the sessions share besides the networking objects.
struct app {
  options opts;
  std::unique_ptr<store> db;
  bytes default_space;
  std::string webapp_dir;
  metrics stats;
};

// Opens the store in opts.data_dir, resolves the default space (seeding the
// demo space when --demo and it is empty) and the webapp folder.
result<std::unique_ptr<app>> make_app(const options& opts);

}  // namespace packline::server
