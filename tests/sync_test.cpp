// sync_session: the client state machine, driven frame by frame with the
// test playing the server's part of schema/PROTOCOL.md.
#include <doctest/doctest.h>

#include "packline/codec.hpp"
#include "packline/demo.hpp"
#include "packline/sync.hpp"

using namespace packline;

namespace {
template <class T>
T as(const bytes& frame) {
  auto m = codec::decode(frame);
  REQUIRE(m.ok());
  REQUIRE(std::holds_alternative<T>(*m));
  return std::get<T>(*m);
}
std::unique_ptr<replica> fresh() {
  auto r = replica::create(crypto::random_bytes(32));
  REQUIRE(r.ok());
  return std::move(*r);
}
// Runs the handshake; returns the frames sent after welcome.
std::vector<bytes> handshake(sync_session& s, replica& r, std::uint64_t cursor) {
  auto hello = as<proto::hello>(s.on_open()[0]);
  CHECK(hello.device == r.device_id());
  bytes nonce = crypto::random_bytes(32);
  auto out = s.on_frame(codec::encode(proto::challenge{nonce, demo::space_id()}), 1000);
  REQUIRE(out.ok());
  auto a = as<proto::auth>((*out)[0]);
  CHECK(crypto::verify(r.device_id(), proto::auth_transcript(nonce, demo::space_id()), a.signature));
  CHECK(s.state() == sync_state::connecting);
  auto w = s.on_frame(codec::encode(proto::welcome{demo::space_id(), cursor}), 1000);
  REQUIRE(w.ok());
  CHECK(r.space() == demo::space_id());
  return *w;
}
}  // namespace

TEST_CASE("sync: handshake, pull of the demo panel, then synced") {
  auto r = fresh();
  sync_session s(*r);
  CHECK(s.state() == sync_state::offline);
  auto envs = demo::envelopes(500);
  REQUIRE(envs.ok());
  auto after = handshake(s, *r, envs->size());
  REQUIRE(after.size() == 1);
  auto p = as<proto::pull>(after[0]);
  CHECK(p.since == 0);
  CHECK(s.state() == sync_state::syncing);
  proto::changes ch;
  for (std::size_t i = 0; i < envs->size(); ++i) ch.items.push_back({i + 1, (*envs)[i]});
  ch.next = envs->size();
  auto out = s.on_frame(codec::encode(ch), 1000);
  REQUIRE(out.ok());
  CHECK(out->empty());
  CHECK(s.take_dirty());
  CHECK(r->cursor() == envs->size());
  CHECK(s.state() == sync_state::synced);
  CHECK(r->rows("member")->size() == 6);
}

TEST_CASE("sync: pending changes are pushed once and cleared by the ack") {
  auto r = fresh();
  REQUIRE(r->set_space(demo::space_id()).ok());
  bytes q = new_row_id();
  REQUIRE(r->commit({op{op_kind::set, "question", q, "body", std::string("offline draft")}}, 900).ok());
  sync_session s(*r);
  CHECK(s.flush().empty());  // not connected: nothing to send
  auto after = handshake(s, *r, 0);
  REQUIRE(after.size() == 1);
  auto push = as<proto::push>(after[0]);
  REQUIRE(push.envelopes.size() == 1);
  REQUIRE(r->commit({op{op_kind::set, "question", q, "status", std::string("draft")}}, 901).ok());
  CHECK(s.flush().empty());  // one push in flight at a time
  auto out = s.on_frame(codec::encode(proto::ack{{{r->device_id(), 1, 1}}}), 1000);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);  // the second change goes next
  CHECK(as<proto::push>((*out)[0]).envelopes.size() == 1);
  CHECK(r->pending_count() == 1);
  REQUIRE(s.on_frame(codec::encode(proto::ack{{{r->device_id(), 2, 2}}}), 1000).ok());
  CHECK(r->pending_count() == 0);
  CHECK(s.state() == sync_state::synced);
}

TEST_CASE("sync: out-of-order and server error frames end the session") {
  auto r = fresh();
  sync_session s(*r);
  (void)s.on_open();
  CHECK(s.on_frame(codec::encode(proto::welcome{demo::space_id(), 0}), 1).err().code == errc::bad_state);
  CHECK(s.on_frame(bytes{0x01, 0x02}, 1).err().code == errc::malformed);
  sync_session s2(*r);
  (void)handshake(s2, *r, 0);
  auto e = s2.on_frame(codec::encode(proto::error{static_cast<std::uint32_t>(errc::bad_signature), "bad"}), 1);
  CHECK(e.err().code == errc::bad_signature);
}

TEST_CASE("sync: a forged remote change is reported; its device's later changes wait for it") {
  auto r = fresh();
  sync_session s(*r);
  auto envs = demo::envelopes(500);
  REQUIRE(envs.ok());
  (void)handshake(s, *r, envs->size());
  proto::changes ch;
  for (std::size_t i = 0; i < envs->size(); ++i) ch.items.push_back({i + 1, (*envs)[i]});
  ch.items[1].envelope.back() ^= 1;  // break one signature (the sample pack's blocks)
  ch.next = envs->size();
  REQUIRE(s.on_frame(codec::encode(ch), 1000).ok());
  auto rej = s.take_rejections();
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].find("signature") != std::string::npos);
  // The demo clerk's later changes (meeting, items, members) follow change 2
  // of the same device: they wait for the authentic change 2 instead of
  // applying out of causal order. Change 1 (the clerk) is in.
  REQUIRE(envs->size() >= 3);
  CHECK(r->rows("member")->size() == 1);
  CHECK(r->rows("meeting")->empty());
  CHECK(r->waiting_count() == envs->size() - 2);
  CHECK(r->cursor() == envs->size());  // the pull itself goes on
}
