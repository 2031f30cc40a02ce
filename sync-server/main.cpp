// packline-server: parses the command line, prepares the store and serves.
// Thin on purpose; everything testable lives in sync_server_lib.
#include <sys/resource.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <string>
#include <vector>

#include "app.hpp"
#include "log.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  using namespace packline::server;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "backup") {
    auto done = backup({args.begin() + 1, args.end()});
    std::fprintf(done ? stdout : stderr, "packline-server: %s\n", done ? done->c_str() : done.err().message.c_str());
    return done ? 0 : 1;
  }
  auto opts = parse_options(args);
  if (!opts) {
    std::fprintf(stderr, "packline-server: %s\n%s", opts.err().message.c_str(), usage().c_str());
    return 2;
  }
  if (opts.value().help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (opts.value().version) {
    std::puts("packline-server " PACKLINE_VERSION);
    return 0;
  }
  set_log_level(opts.value().level);
  set_log_format(opts.value().format);
#if defined(__GLIBC__)
  // Frames of 128 KiB and more (pull answers, pushes) get their own mapping,
  // returned to the system when freed: memory held by sessions that were
  // shed or closed goes back at once. (glibc's default threshold rises to
  // the largest block freed, after which such frames stay in the heap.)
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  // One descriptor per tablet: take the hard limit (systemd gives 512K; a
  // shell's soft default of 1024 would cap a council at a thousand devices).
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  auto a = make_app(opts.value());
  if (!a) {
    log(log_level::error, "start-up failed", {{"error", a.err().message}});
    return 1;
  }
  return serve(*a.value());
}
