// Replays tests/corpus/regression/{frame,envelope}/ through the fuzzers'
// oracle (fuzz/oracle.hpp) in every test run: inputs a fuzzer once crashed
// on (fuzz/run.sh copies them here) and hand-made nasty ones (count headers
// of 2^32, ext32 overflow, deep nesting, truncations). Also a smoke run of
// random mutations of valid frames, so the oracle itself is exercised.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "../fuzz/oracle.hpp"

using namespace packline;

namespace {
bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("server fuzz corpus: every regression input decodes or is refused, and round-trips") {
  std::size_t n = 0;
  for (const char* kind : {"frame", "envelope"}) {
    std::filesystem::path dir = std::filesystem::path(PACKLINE_CORPUS_DIR) / "regression" / kind;
    REQUIRE(std::filesystem::is_directory(dir));
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
      if (!f.is_regular_file() || f.path().filename().string().front() == '.') continue;
      bytes b = read_file(f.path());
      INFO(f.path().string());
      if (std::string(kind) == "frame") CHECK(fuzz::check_frame(b.data(), b.size()));
      else CHECK(fuzz::check_envelope(b.data(), b.size()));
      ++n;
    }
  }
  CHECK(n >= 10);
}

TEST_CASE("server fuzz corpus: mutations of valid frames never break the decoder") {
  bytes actor(32, 2), space(16, 1);
  envelope e{space, actor, 3, 0, bytes{0x93, 0x01, 0x02, 0x90}, bytes(64, 9)};
  std::vector<bytes> seeds{
      codec::encode(proto::push{{codec::encode_envelope(e)}}),
      codec::encode(proto::live{2, {proto::stored_change{3, codec::encode_envelope(e)}}}),
      codec::encode(proto::snapshot_put{3, 100, 0, bytes(20, 7)}),
      codec::encode(proto::changes{{proto::stored_change{3, codec::encode_envelope(e)}}, 3, true}),
      codec::encode(proto::keyring_page{{proto::stored_change{3, codec::encode_envelope(e)}}, 3, false}),
      codec::encode(proto::welcome{space, 9, 7}),
  };
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    bytes b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !b.empty(); ++k) {
      std::size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[at] = static_cast<std::uint8_t>(rng()); break;
        case 1: b.erase(b.begin() + static_cast<std::ptrdiff_t>(at)); break;
        default: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng())); break;
      }
    }
    REQUIRE(fuzz::check_frame(b.data(), b.size()));
    REQUIRE(fuzz::check_envelope(b.data(), b.size()));
  }
}
