// Codec: round trips, golden bytes, and refusal of malformed or oversized input.
#include <doctest/doctest.h>

#include "packline/wire/codec.hpp"
#include "packline/base/limits.hpp"

using namespace packline;

TEST_CASE("codec: every message round-trips") {
  bytes dev(32, 7), sp(16, 3), sig(64, 9), nonce(32, 1);
  std::vector<proto::message> msgs{
      proto::hello{1, dev, sp},
      proto::hello{1, dev, {}},
      proto::challenge{nonce, sp},
      proto::auth{sig},
      proto::welcome{sp, 42},
      proto::welcome{sp, 42, 40},  // v3: the newest snapshot's cursor
      proto::welcome{sp, 42, 40, 1'800'000'000'000},  // v4: the server's time
      proto::auth{sig, bytes(80, 4)},                  // v5: the sealed lease secret
      proto::welcome{sp, 42, 40, 1'800'000'000'000, bytes(80, 4)},
      proto::keyring_get{3},
      proto::keyring_page{{{4, bytes{1}}, {9, bytes{2, 2}}}, 9, false},
      proto::push{{bytes{1, 2, 3}, bytes(1000, 5)}},
      proto::ack{{{dev, 1, 10}, {dev, 2, 11}}},
      proto::pull{5, 100},
      proto::changes{{{6, bytes{1}}, {7, bytes{2, 2}}}, 7, true},
      proto::notify{99},
      proto::error{3, "that step is not allowed now"},
  };
  for (auto& m : msgs) {
    bytes b = codec::encode(m);
    auto d = codec::decode(b);
    REQUIRE(d.ok());
    CHECK(d->index() == m.index());
    CHECK(codec::encode(*d) == b);
  }
}

TEST_CASE("codec: golden bytes of hello and pull") {
  bytes b = codec::encode(proto::pull{1, 2});
  CHECK(to_hex(b) == "93070102");
  bytes h = codec::encode(proto::hello{1, bytes(32, 0xaa), {}});
  CHECK(to_hex(h).substr(0, 10) == "940101c420");
  CHECK(to_hex(h).substr(to_hex(h).size() - 4) == "c400");
}

TEST_CASE("codec: rejects truncated frame") {
  bytes b = codec::encode(proto::push{{bytes(100, 1)}});
  for (std::size_t n = 0; n < b.size(); ++n) {
    auto d = codec::decode(b.data(), n);
    CHECK_FALSE(d.ok());
  }
}

TEST_CASE("codec: rejects wrong shapes and unknown types") {
  CHECK(codec::decode(bytes{0x91, 0x63}).err().code == errc::malformed);         // type 99
  CHECK(codec::decode(bytes{0x92, 0x07, 0x01}).err().code == errc::malformed);   // pull missing max
  CHECK(codec::decode(bytes{0xc0}).err().code == errc::malformed);               // nil, not array
  CHECK(codec::decode(bytes{0x93, 0x07, 0x01, 0x02, 0x00}).err().code == errc::malformed);  // trailing
  CHECK(codec::decode(bytes{0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}).err().code == errc::malformed);  // ext32 overflow
  // the same after a near miss (a 0xc9 byte inside a bin, then the header)
  CHECK(codec::decode(bytes{0x92, 0xc4, 0x01, 0xc9, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}).err().code == errc::malformed);
  CHECK(codec::decode(bytes{0xdd, 0xff, 0xff, 0xff, 0xff}).err().code == errc::too_large);  // array32 lie
  bytes deep(20, 0x91);
  deep.push_back(0xc0);
  CHECK(codec::decode(deep).err().code == errc::too_large);
}

TEST_CASE("codec: rejects oversized frame and too many envelopes") {
  bytes big(limits::max_frame_bytes + 1, 0);
  CHECK(codec::decode(big).err().code == errc::too_large);
  std::vector<bytes> many(limits::max_push_envelopes + 1, bytes{1});
  CHECK(codec::decode(codec::encode(proto::push{many})).err().code == errc::too_large);
}

TEST_CASE("codec: change body round-trips every value type") {
  change_body c{{123456789, 4}, {}};
  bytes row(16, 1);
  c.ops.push_back({op_kind::set, "question", row, "body", std::string("What is the plan?")});
  c.ops.push_back({op_kind::set, "question", row, "n", std::int64_t{-5}});
  c.ops.push_back({op_kind::set, "question", row, "big", std::int64_t{1} << 40});
  c.ops.push_back({op_kind::set, "question", row, "f", 2.5});
  c.ops.push_back({op_kind::set, "question", row, "b", true});
  c.ops.push_back({op_kind::set, "question", row, "x", bytes{1, 2}});
  c.ops.push_back({op_kind::set, "question", row, "nil", std::monostate{}});
  auto d = codec::decode_body(codec::encode_body(c), bytes(32, 1));
  REQUIRE(d.ok());
  CHECK(d->hlc == c.hlc);
  REQUIRE(d->ops.size() == c.ops.size());
  for (std::size_t i = 0; i < c.ops.size(); ++i) {
    CHECK(d->ops[i].val == c.ops[i].val);
    CHECK(d->ops[i].field == c.ops[i].field);
  }
}

TEST_CASE("codec: envelope round-trips and rejects bad sizes") {
  envelope e{bytes(16, 1), bytes(32, 2), 7, 0, bytes{9, 9}, bytes(64, 3)};
  auto d = codec::decode_envelope(codec::encode_envelope(e));
  REQUIRE(d.ok());
  CHECK(d->seq == 7);
  CHECK(d->payload == e.payload);
  e.actor.resize(31);
  CHECK_FALSE(codec::decode_envelope(codec::encode_envelope(e)).ok());
  e.actor.resize(32);
  e.seq = 0;
  CHECK_FALSE(codec::decode_envelope(codec::encode_envelope(e)).ok());
}

TEST_CASE("codec: welcome carries the snapshot cursor from v3 only; snapshot blobs round-trip") {
  bytes sp(16, 3);
  CHECK(codec::encode(proto::welcome{sp, 42}).front() == 0x93);  // [4, space, cursor]: what v1/v2 decode
  auto w = codec::decode(codec::encode(proto::welcome{sp, 42, 0}));
  REQUIRE(w.ok());
  CHECK(std::get<proto::welcome>(*w).snapshot == std::optional<std::uint64_t>(0));
  CHECK_FALSE(std::get<proto::welcome>(*codec::decode(codec::encode(proto::welcome{sp, 42}))).snapshot.has_value());
  // v4 adds the server's time after the snapshot cursor; v3 has none.
  CHECK(codec::encode(proto::welcome{sp, 42, 0}).front() == 0x94);
  CHECK(codec::encode(proto::welcome{sp, 42, 7, 1234}).front() == 0x95);
  CHECK(codec::encode(proto::welcome{sp, 42, 7, 1234, bytes(80, 1)}).front() == 0x96);  // v5 only with a lease
  CHECK(std::get<proto::welcome>(*codec::decode(codec::encode(proto::welcome{sp, 42, 7, 1234, bytes(80, 1)}))).lease ==
        bytes(80, 1));
  CHECK_FALSE(codec::decode(codec::encode(proto::auth{bytes(64, 1), bytes(81, 1)})).ok());  // over the sealed size
  auto w4 = codec::decode(codec::encode(proto::welcome{sp, 42, 7, 1234}));
  REQUIRE(w4.ok());
  CHECK(std::get<proto::welcome>(*w4).snapshot == std::optional<std::uint64_t>(7));
  CHECK(std::get<proto::welcome>(*w4).time == std::optional<std::uint64_t>(1234));
  CHECK_FALSE(std::get<proto::welcome>(*w).time.has_value());

  snapshot_blob b{sp, 1000, 2, bytes(32, 4), bytes(5000, 5), bytes(64, 6)};
  bytes enc = codec::encode_snapshot_blob(b);
  auto d = codec::decode_snapshot_blob(enc);
  REQUIRE(d.ok());
  CHECK(codec::encode_snapshot_blob(*d) == enc);
  CHECK(d->cursor == 1000);
  CHECK(d->epoch == 2);
  CHECK(codec::snapshot_blob_header(*d).size() == 16 + 16 + 8 + 4 + 32);
  enc.pop_back();
  CHECK(codec::decode_snapshot_blob(enc).err().code == errc::malformed);
  // The v2 blob ("PLS1" || sha256 || image) is not taken for one.
  bytes old{'P', 'L', 'S', '1'};
  old.resize(100, 1);
  CHECK_FALSE(codec::decode_snapshot_blob(old).ok());
}

TEST_CASE("codec: a frame decodes at most max_frame_items items, whatever its bytes declare") {
  // One array of a million nils in 1 MiB: refused as too large, not built.
  bytes frame(limits::max_frame_bytes, 0xc0);
  auto n = static_cast<std::uint32_t>(frame.size() - 5);
  frame[0] = 0xdd;
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  auto r = codec::decode(frame);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::too_large);
  // Many small arrays nested in one: the budget counts every item.
  bytes nested{0xdc, 0x10, 0x00};  // array16 of 4096
  for (int i = 0; i < 4096; ++i) nested.insert(nested.end(), {0x92, 0xc0, 0xc0});
  auto r2 = codec::decode(nested);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.err().code == errc::too_large);
  // A full changes page is well inside the budget.
  proto::changes page;
  for (std::uint32_t i = 0; i < limits::max_pull_changes; ++i) page.items.push_back({i + 1, bytes(100, 7)});
  page.next = limits::max_pull_changes;
  auto ok = codec::decode(codec::encode(page));
  CHECK(ok.ok());
}

TEST_CASE("codec: contiguous live frames merge into one, byte for byte, without decoding their envelopes") {
  bytes a = codec::encode(proto::live{5, {{6, bytes{1}}, {7, bytes(300, 2)}}});
  bytes b = codec::encode(proto::live{7, {{8, bytes(70000, 3)}}});
  bytes c = codec::encode(proto::live{8, {}});
  auto head = codec::read_live_head(a);
  REQUIRE(head);
  CHECK(head->prev == 5);
  CHECK(head->count == 2);
  bytes merged = codec::merge_live({&a, &b, &c});
  auto d = codec::decode(merged);
  REQUIRE(d.ok());
  auto* l = std::get_if<proto::live>(&*d);
  REQUIRE(l);
  CHECK(l->prev == 5);
  REQUIRE(l->items.size() == 3);
  CHECK(l->items[0].server_seq == 6);
  CHECK(l->items[1].envelope == bytes(300, 2));
  CHECK(l->items[2].envelope == bytes(70000, 3));
  // Anything else is not a live frame.
  bytes other = codec::encode(proto::notify{9});
  CHECK_FALSE(codec::read_live_head(other));
  CHECK_FALSE(codec::read_live_head(bytes{0x93, 15}));
  CHECK(codec::merge_live({&a, &other}).empty());
}
