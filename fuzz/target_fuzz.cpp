// libFuzzer harness: HTTP request targets (the static-file decoder and
// resolver of sync-server). Properties: a decoded path is absolute and has no
// empty, dot or hidden segment, no NUL, backslash or control character; and
// whatever a target is, the file resolved under a small webapp folder lies
// inside that folder, symlinks to outside included.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "static_files.hpp"

namespace fs = std::filesystem;

namespace {

struct tree {
  std::string root, real;
  tree() {
    fs::path base = fs::temp_directory_path() / ("packline-target-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(base / "web/assets");
    fs::create_directories(base / "outside");
    std::ofstream(base / "web/index.html") << "shell";
    std::ofstream(base / "web/assets/a.js") << "a";
    std::ofstream(base / "outside/secret") << "secret";
    std::error_code ec;
    fs::create_symlink(base / "outside/secret", base / "web/link", ec);
    fs::create_symlink(base / "outside", base / "web/assets/out", ec);
    root = (base / "web").string();
    real = fs::canonical(root).string() + "/";
  }
};

bool clean(const std::string& p) {
  if (p.empty() || p.front() != '/') return false;
  for (unsigned char c : p)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  for (std::size_t at = 1; at < p.size();) {
    auto end = p.find('/', at);
    if (end == std::string::npos) end = p.size();
    if (end == at || p[at] == '.') return false;
    at = end + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tree t;
  std::string target(reinterpret_cast<const char*>(data), size);
  std::string path = packline::server::decode_target_path(target);
  if (!path.empty() && !clean(path)) std::abort();
  if (auto f = packline::server::resolve_static(t.root, target)) {
    if (f->path.rfind(t.real, 0) != 0) std::abort();
  }
  return 0;
}
