// The server's membership checks for secured spaces, through
// sync_handler on a real sqlite_store: strangers may only push their join,
// removed and revoked devices are refused at once, forged keyring records
// and wrong epochs are refused, and the data folder holds no plaintext.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/base/limits.hpp"
#include "packline/replica/replica.hpp"
#include "sqlite_store.hpp"
#include "support/handler_frames.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"
#include "sync_handler.hpp"

using namespace packline;
using namespace packline::server;
using packline::test::as;
using packline::test::error_of;

namespace {

op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }

struct fixture {
  test::temp_dir tmp;
  std::unique_ptr<sqlite_store> db;
  metrics stats;
  fixture() {
    REQUIRE(crypto::init().ok());
    auto s = sqlite_store::open(tmp.sub("data"));
    REQUIRE(s.ok());
    db = std::move(s.value());
  }
};

// A replica talking to the handler frame by frame.
struct dev {
  std::unique_ptr<replica> r;
  dev() { r = std::move(*replica::create(crypto::random_bytes(32))); }
  reply hello(sync_handler& h, const bytes& space) {
    auto c = h.on_frame(codec::encode(proto::hello{limits::protocol_version, r->device_id(), space}));
    REQUIRE_FALSE(c.close);
    auto ch = as<proto::challenge>(c.frames.at(0));
    return h.on_frame(codec::encode(proto::auth{r->key_sign(proto::auth_transcript(ch.nonce, ch.space))}));
  }
  void connect(sync_handler& h, const bytes& space) {
    auto w = hello(h, space);
    REQUIRE_FALSE(w.close);
    REQUIRE(h.authenticated());
  }
  reply push(sync_handler& h) {
    proto::push p;
    p.envelopes = r->pending(200);
    REQUIRE_FALSE(p.envelopes.empty());
    auto out = h.on_frame(codec::encode(p));
    if (!out.close && !out.frames.empty()) {
      auto m = codec::decode(out.frames[0]);
      if (m && std::holds_alternative<proto::ack>(*m))
        for (auto& a : std::get<proto::ack>(*m).entries) REQUIRE(r->acked(a.actor, a.seq, a.server_seq).ok());
    }
    return out;
  }
  reply pull(sync_handler& h, std::uint64_t now) {
    auto out = h.on_frame(codec::encode(proto::pull{r->cursor(), 512}));
    if (out.close) return out;
    auto ch = as<proto::changes>(out.frames.at(0));
    for (auto& c : ch.items) {
      (void)r->apply(c.envelope, c.server_seq, now);
      REQUIRE(r->set_cursor(c.server_seq).ok());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("server membership: strangers, invites, removal, revocation, forgeries; the store holds no plaintext") {
  fixture f;
  const std::uint64_t now = static_cast<std::uint64_t>(test::wall_ms());
  bytes space = crypto::random_bytes(16);

  dev clerk;
  bytes clerk_member = new_row_id();
  REQUIRE(clerk.r->found_space(space, clerk_member, "clerk", now).ok());
  bytes meeting = new_row_id();
  REQUIRE(clerk.r->commit({set("meeting", meeting, "title", std::string("MARKER-SERVER-MEETING"))}, now).ok());
  sync_handler hc(*f.db, f.stats, bytes(16, 0), "clerk");
  clerk.connect(hc, space);
  auto pushed = clerk.push(hc);
  REQUIRE_FALSE(pushed.close);
  CHECK(as<proto::ack>(pushed.frames.at(0)).entries.size() == 4);  // genesis, enrol, epoch 1, meeting
  REQUIRE(f.db->keyrings().find(space));
  CHECK(f.db->keyrings().find(space)->state.secured());

  // A stranger connects but may neither read nor write.
  dev stranger;
  REQUIRE(stranger.r->set_space(space).ok());
  {
    sync_handler hs(*f.db, f.stats, bytes(16, 0), "stranger");
    stranger.connect(hs, space);
    auto p = hs.on_frame(codec::encode(proto::pull{0, 10}));
    CHECK(error_of(p) == proto::error_not_member);
    CHECK(p.close);
  }
  {
    sync_handler hs(*f.db, f.stats, bytes(16, 0), "stranger");
    stranger.connect(hs, space);
    REQUIRE(stranger.r->commit({set("question", new_row_id(), "target", std::string("spam"))}, now).ok());
    CHECK(error_of(stranger.push(hs)) == proto::error_not_member);
  }

  // Invite, join, read.
  bytes alice_member = new_row_id();
  auto code = clerk.r->create_invite(alice_member, "member", now);
  REQUIRE(code.ok());
  REQUIRE_FALSE(clerk.push(hc).close);
  dev alice;
  REQUIRE(alice.r->redeem_invite(*code, now).ok());
  sync_handler ha(*f.db, f.stats, bytes(16, 0), "alice");
  alice.connect(ha, space);
  REQUIRE_FALSE(alice.push(ha).close);
  REQUIRE_FALSE(alice.pull(ha, now).close);
  auto rows = alice.r->rows("meeting", "id", meeting);
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().text("title") == "MARKER-SERVER-MEETING");

  // A forged keyring record (an enrolment not signed by the admin key) and a wrong epoch.
  {
    keyring::record en;
    en.k = keyring::kind::enrol;
    en.member = alice_member;
    en.role = "chair";
    en.device = alice.r->device_id();
    en.xpk = bytes(32, 1);
    keyring::sign(en, space, crypto::signing_key::generate());
    bytes q = new_row_id();
    REQUIRE(alice.r->commit({set("question", q, "author", alice_member), set("question", q, "target", std::string("MARKER-ALICE"))}, now).ok());
    auto pending = alice.r->pending(10);
    REQUIRE(pending.size() == 1);
    auto e = *codec::decode_envelope(pending[0]);
    envelope forged = e;
    forged.seq = e.seq + 1;
    forged.epoch = keyring::record_epoch;
    forged.payload = codec::encode_keyring(en);
    // Signed by Alice's device (the actor) — only the inner admin signature is wrong.
    auto alice_key_sig = [&](envelope& x) { x.signature = alice.r->key_sign(crypto::envelope_to_sign(x)); };
    alice_key_sig(forged);
    proto::push p;
    p.envelopes = {pending[0], codec::encode_envelope(forged)};
    auto r = ha.on_frame(codec::encode(p));
    CHECK(error_of(r) == proto::error_forbidden);
    CHECK(as<proto::error>(r.frames[0]).text.find("admin key") != std::string::npos);

    sync_handler ha2(*f.db, f.stats, bytes(16, 0), "alice2");
    alice.connect(ha2, space);
    envelope future = e;
    future.epoch = 9;
    alice_key_sig(future);
    proto::push p2;
    p2.envelopes = {codec::encode_envelope(future)};
    auto r2 = ha2.on_frame(codec::encode(p2));
    CHECK(error_of(r2) == proto::error_forbidden);
    CHECK(as<proto::error>(r2.frames[0]).text.find("wrong epoch") != std::string::npos);

    sync_handler ha3(*f.db, f.stats, bytes(16, 0), "alice3");
    alice.connect(ha3, space);
    REQUIRE_FALSE(alice.push(ha3).close);  // the honest change goes through
  }

  // Removal: the open session is refused at once (the push says the keyring
  // changed; the server re-checks every session of the space), new sessions at auth.
  REQUIRE(clerk.r->remove_member(alice_member, now).ok());
  auto removal = clerk.push(hc);
  REQUIRE_FALSE(removal.close);
  CHECK(removal.keyring_changed);
  auto told = ha.recheck_membership();
  CHECK(error_of(told) == proto::error_revoked);
  CHECK(told.close);
  CHECK(hc.recheck_membership().frames.empty());  // the clerk stays
  sync_handler ha4(*f.db, f.stats, bytes(16, 0), "alice4");
  {
    auto c = ha4.on_frame(codec::encode(proto::hello{limits::protocol_version, alice.r->device_id(), space}));
    auto ch = as<proto::challenge>(c.frames.at(0));
    auto w = ha4.on_frame(codec::encode(proto::auth{alice.r->key_sign(proto::auth_transcript(ch.nonce, ch.space))}));
    CHECK(error_of(w) == proto::error_revoked);
    CHECK(w.close);
  }
  auto late = ha.on_frame(codec::encode(proto::pull{alice.r->cursor(), 10}));
  CHECK(error_of(late) == proto::error_revoked);

  // The keyring survives a restart: a new store object rebuilds it from the records.
  {
    auto again = sqlite_store::open(f.tmp.sub("data"));
    REQUIRE(again.ok());
    sync_handler h(*again.value(), f.stats, bytes(16, 0), "after-restart");
    auto c = h.on_frame(codec::encode(proto::hello{limits::protocol_version, alice.r->device_id(), space}));
    auto ch = as<proto::challenge>(c.frames.at(0));
    auto w = h.on_frame(codec::encode(proto::auth{alice.r->key_sign(proto::auth_transcript(ch.nonce, ch.space))}));
    CHECK(error_of(w) == proto::error_revoked);
  }

  // Server-blind: nothing members typed is in the data folder.
  f.db.reset();
  std::string stored = test::slurp_dir(f.tmp.sub("data"));
  CHECK(stored.size() > 1000);
  CHECK(stored.find("MARKER-") == std::string::npos);
}

TEST_CASE("server membership: keyring_get gives members the keyring records only (v3); welcome names the newest snapshot") {
  fixture f;
  const std::uint64_t now = static_cast<std::uint64_t>(test::wall_ms());
  bytes space = crypto::random_bytes(16);
  dev clerk;
  REQUIRE(clerk.r->found_space(space, new_row_id(), "clerk", now).ok());
  REQUIRE(clerk.r->commit({set("meeting", new_row_id(), "title", std::string("MARKER-MEETING"))}, now).ok());
  sync_handler hc(*f.db, f.stats, bytes(16, 0), "clerk");
  auto w = clerk.hello(hc, space);
  CHECK(as<proto::welcome>(w.frames.at(0)).snapshot == std::optional<std::uint64_t>(0));  // v3: none yet
  REQUIRE_FALSE(clerk.push(hc).close);  // genesis, enrol, epoch 1 (records), the meeting
  auto seqs = [](const reply& r) {
    auto page = as<proto::keyring_page>(r.frames.at(0));
    std::vector<std::uint64_t> out;
    for (auto& it : page.items) {
      CHECK(codec::decode_envelope(it.envelope)->epoch == keyring::record_epoch);
      out.push_back(it.server_seq);
    }
    CHECK_FALSE(page.more);
    return out;
  };
  CHECK(seqs(hc.on_frame(codec::encode(proto::keyring_get{0}))) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(seqs(hc.on_frame(codec::encode(proto::keyring_get{1}))) == std::vector<std::uint64_t>{2, 3});
  auto code = clerk.r->create_invite(new_row_id(), "member", now);
  REQUIRE(code.ok());
  REQUIRE_FALSE(clerk.push(hc).close);  // the invite: server_seq 5
  CHECK(seqs(hc.on_frame(codec::encode(proto::keyring_get{3}))) == std::vector<std::uint64_t>{5});

  // Not a member: refused like a pull.
  dev stranger;
  {
    sync_handler hs(*f.db, f.stats, bytes(16, 0), "stranger");
    stranger.connect(hs, space);
    auto r = hs.on_frame(codec::encode(proto::keyring_get{0}));
    CHECK(error_of(r) == proto::error_not_member);
    CHECK(r.close);
  }

  // A complete snapshot is named in the next v3 welcome; v2 sessions get the
  // v2 welcome and no keyring_get.
  auto put = hc.on_frame(codec::encode(proto::snapshot_put{5, 10, 0, bytes(10, 1)}));
  REQUIRE(as<proto::snapshot_ack>(put.frames.at(0)).complete);
  {
    sync_handler h(*f.db, f.stats, bytes(16, 0), "clerk-again");
    CHECK(as<proto::welcome>(clerk.hello(h, space).frames.at(0)).snapshot == std::optional<std::uint64_t>(5));
  }
  {
    sync_handler h(*f.db, f.stats, bytes(16, 0), "clerk-v2");
    auto c = h.on_frame(codec::encode(proto::hello{2, clerk.r->device_id(), space}));
    auto ch = as<proto::challenge>(c.frames.at(0));
    auto w2 = h.on_frame(codec::encode(proto::auth{clerk.r->key_sign(proto::auth_transcript(ch.nonce, ch.space))}));
    CHECK_FALSE(as<proto::welcome>(w2.frames.at(0)).snapshot.has_value());
    CHECK(error_of(h.on_frame(codec::encode(proto::keyring_get{0}))) == static_cast<std::uint32_t>(errc::bad_state));
  }

  // After a restart the record sequences are rebuilt from the store.
  {
    auto again = sqlite_store::open(f.tmp.sub("data"));
    REQUIRE(again.ok());
    sync_handler h(*again.value(), f.stats, bytes(16, 0), "after-restart");
    clerk.connect(h, space);
    CHECK(seqs(h.on_frame(codec::encode(proto::keyring_get{0}))) == std::vector<std::uint64_t>{1, 2, 3, 5});
  }
}
