// Publish benchmark: times workflow::import_pack of one pack text file (the
// clerk's "Publish this pack") on a fresh replica, open or secured panel, and
// prints one JSON line: {"parse_ms","publish_ms","changes","secured"}. Run it
// under `perf record` to see where the publish time goes (signing and sealing
// in libsodium, SQLite writes, the core's own work).
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "packline/crypto/crypto.hpp"
#include "packline/panel/pack_import.hpp"
#include "packline/replica/replica.hpp"
#include "packline/panel/workflow.hpp"

using namespace packline;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: publish_bench PACK.txt [secured]\n";
    return 2;
  }
  bool secured = argc > 2 && std::string(argv[2]) == "secured";
  std::ifstream f(argv[1], std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count());
  auto r = replica::create(crypto::sha256(to_bytes("publish-bench-device")));
  if (!r) return 1;
  replica& rep = **r;
  std::string clerk;
  if (secured) {
    auto id = workflow::found_panel(rep, "Clerk", "clerk", now);
    if (!id) return 1;
    clerk = *id;
  } else {
    bytes id = crypto::sha256(to_bytes("publish-bench-clerk"));
    id.resize(16);
    bytes space = crypto::sha256(to_bytes("publish-bench-space"));
    space.resize(16);
    if (!rep.set_space(space)) return 1;
    if (!rep.commit({set_op("member", id, "name", std::string("Clerk")), set_op("member", id, "role", std::string("clerk"))}, now))
      return 1;
    clerk = to_hex(id);
  }
  if (auto s = workflow::sign_in(rep, clerk); !s) {
    std::cerr << "sign in: " << s.err().message << "\n";
    return 1;
  }
  auto before = rep.pending(1 << 30);
  auto t0 = std::chrono::steady_clock::now();
  auto p = pack::parse_text(ss.str());
  if (!p) return 1;
  auto t1 = std::chrono::steady_clock::now();
  workflow::import_options o;
  o.source = "bench.txt";
  auto rep_ = workflow::import_pack(rep, *p, o, now);
  auto t2 = std::chrono::steady_clock::now();
  if (!rep_) {
    std::cerr << "publish: " << rep_.err().message << "\n";
    return 1;
  }
  auto after = rep.pending(1 << 30);
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::size_t bytes_out = 0;
  for (auto& e : after) bytes_out += e.size();
  std::cout << "{\"parse_ms\": " << ms(t0, t1) << ", \"publish_ms\": " << ms(t1, t2) << ", \"changes\": "
            << after.size() - before.size() << ", \"bytes\": " << bytes_out
            << ", \"blocks\": " << rep_->blocks << ", \"secured\": " << (secured ? "true" : "false") << "}\n";
  return 0;
}
