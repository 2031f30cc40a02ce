// crdt suite, native: replays an editing trace through Packline's text CRDT
// and prints JSON lines (bench/run). Mode "each": every patch is its own
// change (local edit -> encoded change body -> decoded and applied on a
// second replica of the text). Mode "batch": all patches locally, then the
// whole document encoded once and loaded on the second replica.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "packline/wire/codec.hpp"
#include "packline/crdt/text.hpp"

using namespace packline;

namespace {
struct patch { std::size_t pos, del; std::string ins; };

std::vector<patch> read_trace(const char* path) {
  std::ifstream f(path, std::ios::binary);
  bytes b((std::istreambuf_iterator<char>(f)), {});
  std::size_t i = 0;
  auto varint = [&] {
    std::uint64_t v = 0;
    for (int s = 0; i < b.size(); s += 7) {
      std::uint8_t c = b[i++];
      v |= std::uint64_t(c & 0x7f) << s;
      if (!(c & 0x80)) break;
    }
    return v;
  };
  std::vector<patch> out(varint());
  for (auto& p : out) {
    p.pos = varint();
    p.del = varint();
    std::size_t n = varint();
    p.ins.assign(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
  }
  return out;
}

double peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

void emit(const std::string& suite_case, const char* metric, double v, const char* unit) {
  std::printf("{\"suite\":\"crdt\",\"case\":\"%s\",\"impl\":\"ours-native\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}\n",
              suite_case.c_str(), metric, v, unit);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: crdt_bench TRACE.bin END.txt CASE-NAME each|batch\n");
    return 2;
  }
  auto trace = read_trace(argv[1]);
  std::ifstream ef(argv[2], std::ios::binary);
  std::string expected((std::istreambuf_iterator<char>(ef)), {});
  std::string name = argv[3], mode = argv[4];
  bytes me(32, 1);
  bytes row(16, 0);
  std::uint64_t counter = 1;
  text_doc local, remote;
  auto t0 = std::chrono::steady_clock::now();
  std::size_t wire = 0;
  if (mode == "each") {
    change_body body;
    for (auto& p : trace) {
      std::vector<text_op> ops;
      if (p.del) ops = local.remove(p.pos, p.del);
      if (!p.ins.empty()) {
        auto more = local.insert(me, counter, p.pos, p.ins);
        ops.insert(ops.end(), more.begin(), more.end());
      }
      body.ops.clear();
      for (auto& t : ops)
        body.ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, "q", row, "body", {}, std::move(t)});
      bytes enc = codec::encode_body(body, me);
      wire += enc.size();
      auto dec = codec::decode_body(enc, me);
      if (!dec) { std::fprintf(stderr, "decode failed: %s\n", dec.err().message.c_str()); return 1; }
      for (auto& o : dec->ops)
        if (auto r = remote.apply(o.text); !r) { std::fprintf(stderr, "apply failed: %s\n", r.err().message.c_str()); return 1; }
    }
  } else {
    for (auto& p : trace) {
      if (p.del) (void)local.remove(p.pos, p.del);
      if (!p.ins.empty()) (void)local.insert(me, counter, p.pos, p.ins);
    }
    bytes enc = local.encode();
    wire = enc.size();
    auto d = text_doc::decode(enc);
    if (!d) { std::fprintf(stderr, "decode failed\n"); return 1; }
    remote = std::move(*d);
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (local.text() != expected || remote.text() != expected) {
    std::fprintf(stderr, "%s: final text differs from endContent (local %zu, remote %zu, expected %zu bytes)\n", name.c_str(),
                 local.text().size(), remote.text().size(), expected.size());
    return 1;
  }
  std::string c = name + "/" + mode;
  emit(c, "ms", ms, "ms");
  emit(c, "ops_per_s", trace.size() / (ms / 1000.0), "ops/s");
  emit(c, "encoded_bytes", static_cast<double>(local.encode().size()), "bytes");
  if (mode == "each") emit(c, "wire_bytes", static_cast<double>(wire), "bytes");
  emit(c, "runs", static_cast<double>(local.run_count()), "runs");
  emit(c, "peak_rss_mb", peak_rss_mb(), "MB");
  return 0;
}
