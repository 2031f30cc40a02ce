// Writes one valid example of every frame type and a few envelopes (with
// change bodies) into <dir>/frame and <dir>/envelope: the fuzzers' seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "packline/wire/codec.hpp"

using namespace packline;

namespace {
void put(const std::string& path, const bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string dir = argv[1];
  std::filesystem::create_directories(dir + "/frame");
  std::filesystem::create_directories(dir + "/envelope");
  bytes space(16, 0x11), actor(32, 0x22), sig(64, 0x33), nonce(32, 0x44);

  change_body body;
  body.hlc = hlc_timestamp{1700000000000, 3};
  body.ops.push_back(op{op_kind::set, "question", bytes(16, 1), "body", std::string("How many PCSOs?")});
  body.ops.push_back(op{op_kind::set, "question", bytes(16, 1), "rank", std::int64_t{-7}});
  body.ops.push_back(op{op_kind::set, "meeting", bytes(16, 2), "when", 2.5});
  body.ops.push_back(op{op_kind::set, "meeting", bytes(16, 2), "gone", std::monostate{}});
  envelope e{space, actor, 7, 0, codec::encode_body(body, actor), sig};
  bytes env = codec::encode_envelope(e);
  put(dir + "/envelope/set_ops", env);
  envelope e2{space, actor, 1, 3, bytes{1, 2, 3}, sig};
  put(dir + "/envelope/opaque_payload", codec::encode_envelope(e2));

  int n = 0;
  auto frame = [&](const proto::message& m) { put(dir + "/frame/" + std::to_string(n++), codec::encode(m)); };
  frame(proto::hello{2, actor, space});
  frame(proto::hello{1, actor, {}});
  frame(proto::challenge{nonce, space});
  frame(proto::auth{sig});
  frame(proto::welcome{space, 42});
  frame(proto::push{{env, codec::encode_envelope(e2)}});
  frame(proto::ack{{proto::ack_entry{actor, 7, 9}}});
  frame(proto::pull{5, 512});
  frame(proto::changes{{proto::stored_change{9, env}}, 9, false});
  frame(proto::notify{10});
  frame(proto::error{9, "storage"});
  frame(proto::snapshot_put{3, 10, 0, bytes(10, 5)});
  frame(proto::snapshot_ack{3, 10, true});
  frame(proto::snapshot_get{0, 0});
  frame(proto::snapshot{3, 10, 4, bytes(6, 5)});
  frame(proto::live{8, {proto::stored_change{9, env}}});
  frame(proto::welcome{space, 42, 40});
  frame(proto::keyring_get{0});
  frame(proto::keyring_page{{proto::stored_change{9, env}}, 9, false});
  std::printf("seeds: %d frames, 2 envelopes in %s\n", n, dir.c_str());
  return 0;
}
