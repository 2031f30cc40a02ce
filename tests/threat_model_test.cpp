// The threat model in code (PROTOCOL.md "Threat model"): a councillor with a
// modified client. They are an ordinary current member whose device key
// signs whatever they craft; they need no network position. Each case crafts
// records, changes or snapshots through the core's lower layers, pushes them
// to the real packline-server over a real socket, and then reads what an
// honest new tablet shows. Every case failed before the defence it names.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>

#include <chrono>
#include <memory>
#include <thread>
#include <tuple>

#include "packline/crypto/at_rest.hpp"
#include "packline/wire/codec.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/panel/workflow.hpp"
#include "support/cli_run.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

using namespace packline;
using namespace packline::test;

namespace {

op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }

// A device of the panel: an honest replica and session, plus its secret so
// the attacker can also speak raw frames as the same device.
struct device {
  bytes seed = crypto::random_bytes(32);
  std::unique_ptr<sync_client> c = std::make_unique<sync_client>(bytes{}, seed);
  bytes member;
  std::string code;  // the invite it joined with
  replica& rep() { return c->rep(); }
};

// A secured panel on the real server: the clerk's device founded it.
struct panel {
  temp_dir tmp;
  server_process srv{tmp.sub("data"), tmp.sub("server.log")};
  bytes space = crypto::random_bytes(16);
  device clerk;

  panel() {
    REQUIRE(crypto::init().ok());
    REQUIRE_MESSAGE(srv.start(), srv.error());
    clerk.member = new_row_id();
    REQUIRE(clerk.rep().found_space(space, clerk.member, "clerk", wall_ms()).ok());
    REQUIRE(clerk.rep().commit({set("member", clerk.member, "name", std::string("Dana (clerk)")),
                                set("member", clerk.member, "role", std::string("clerk"))}, wall_ms()).ok());
    REQUIRE(clerk.c->connect(srv.port()));
    REQUIRE(clerk.c->sync());
    REQUIRE(clerk.rep().secured());
  }

  // The clerk invites `member` (a new member row unless given) as `role`;
  // a new device redeems the code and syncs.
  std::unique_ptr<device> join(const std::string& role, bytes member = {}) {
    if (member.empty()) {
      member = new_row_id();
      REQUIRE(clerk.rep().commit({set("member", member, "name", "Cllr " + role), set("member", member, "role", role)},
                                 wall_ms()).ok());
    }
    auto code = clerk.rep().create_invite(member, role, wall_ms());
    REQUIRE(code.ok());
    clerk.c->flush();
    REQUIRE(clerk.c->sync());
    auto d = std::make_unique<device>();
    d->member = member;
    d->code = *code;
    REQUIRE(d->rep().redeem_invite(*code, wall_ms()).ok());
    REQUIRE(d->c->connect(srv.port()));
    REQUIRE(d->c->sync());
    REQUIRE(sync_all({clerk.c.get(), d->c.get()}));  // the clerk grants; member keys settle
    REQUIRE_FALSE(d->rep().joining());
    return d;
  }

  // An honest new tablet of a new member: what anyone joining now is shown.
  std::unique_ptr<device> new_tablet() { return join("member"); }

  void settle(std::vector<device*> ds) {
    std::vector<sync_client*> cs{clerk.c.get()};
    for (auto* d : ds) cs.push_back(d->c.get());
    REQUIRE(sync_all(cs));
  }
};

// The attacker's modified client: speaks frames as `d`'s device.
struct modified_client {
  raw_device raw;
  explicit modified_client(panel& p, device& d) : raw(d.seed) {
    REQUIRE(raw.connect(p.srv.port()));
    REQUIRE(raw.handshake(p.space).has_value());
  }
  // Every keyring record the server holds (any member may fetch them).
  std::vector<envelope> keyring() {
    std::vector<envelope> out;
    std::uint64_t since = 0;
    for (;;) {
      REQUIRE(raw.send(proto::keyring_get{since}));
      auto m = raw.next();
      REQUIRE((m && std::holds_alternative<proto::keyring_page>(*m)));
      auto& pg = std::get<proto::keyring_page>(*m);
      for (auto& it : pg.items) out.push_back(codec::decode_envelope(it.envelope).value());
      if (!pg.more || pg.items.empty()) break;
      since = pg.next;
    }
    return out;
  }
  // Pushes `payload` as a keyring record of this device (seq far ahead of
  // its honest changes). Returns the server's answer: 0 stored, else the error code.
  std::uint32_t push_record(const bytes& space, const bytes& payload, std::uint64_t seq) {
    envelope e;
    e.space = space;
    e.seq = seq;
    e.epoch = keyring::record_epoch;
    e.payload = payload;
    crypto::sign_envelope(e, raw.key());
    REQUIRE(raw.send(proto::push{{codec::encode_envelope(e)}}));
    auto m = raw.next();
    REQUIRE(m.has_value());
    if (std::holds_alternative<proto::ack>(*m)) return 0;
    REQUIRE(std::holds_alternative<proto::error>(*m));
    return std::get<proto::error>(*m).code;
  }
};

std::vector<keyring::record> records_of(const std::vector<envelope>& log, keyring::kind k) {
  std::vector<keyring::record> out;
  for (auto& e : log)
    if (auto r = codec::decode_keyring(e.payload); r && r->k == k) out.push_back(*r);
  return out;
}

std::size_t count_rows(replica& r, const char* table, const bytes& id) {
  auto rows = r.rows(table, "id", id);
  REQUIRE(rows.ok());
  return rows->size();
}

}  // namespace

// ---- keyring records are bound to their place ---------------------------------

TEST_CASE("threat model: a demoted vice-chair who re-sends their old promotion stays demoted") {
  panel p;
  auto vc = p.join("member");
  REQUIRE(p.clerk.rep().set_member_role(vc->member, "vice_chair", wall_ms()).ok());
  REQUIRE(p.clerk.rep().set_member_role(vc->member, "member", wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({vc.get()});
  REQUIRE(vc->rep().my_role() == "member");

  modified_client atk(p, *vc);
  auto promotions = records_of(atk.keyring(), keyring::kind::role);
  REQUIRE(promotions.size() == 2);
  REQUIRE(promotions[0].role == "vice_chair");
  CHECK(atk.push_record(p.space, codec::encode_keyring(promotions[0]), 1000) == proto::error_forbidden);

  // Their edit of the consolidated list, as a vice-chair would make it.
  bytes cq = new_row_id();
  REQUIRE(vc->rep().commit({set("consolidated_question", cq, "section", std::string("MARKER-CONSOLIDATED"))}, wall_ms()).ok());
  vc->c->flush();
  p.settle({vc.get()});

  auto fresh = p.new_tablet();
  CHECK(fresh->rep().keyring().device(vc->rep().device_id())->role == "member");
  CHECK(count_rows(fresh->rep(), "consolidated_question", cq) == 0);
  CHECK(count_rows(p.clerk.rep(), "consolidated_question", cq) == 0);
}

TEST_CASE("threat model: a member who re-sends an old removal cannot throw out a re-admitted member") {
  panel p;
  auto atk_dev = p.join("member");
  auto bob = p.join("member");
  REQUIRE(p.clerk.rep().remove_member(bob->member, wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({atk_dev.get()});
  auto bob_again = p.join("member", bob->member);  // the clerk re-admits Bob on a new tablet

  modified_client atk(p, *atk_dev);
  auto removals = records_of(atk.keyring(), keyring::kind::remove);
  REQUIRE(removals.size() == 1);
  CHECK(atk.push_record(p.space, codec::encode_keyring(removals[0]), 1000) == proto::error_forbidden);

  p.settle({atk_dev.get(), bob_again.get()});
  auto fresh = p.new_tablet();
  CHECK(fresh->rep().keyring().may_write(bob_again->rep().device_id()).ok());
  CHECK(p.clerk.rep().keyring().may_write(bob_again->rep().device_id()).ok());
}

// ---- a created row is bound to its signer -------------------------------------

TEST_CASE("threat model: a member cannot create a row in another's name or in a status their role may not set") {
  panel p;
  auto chair = p.join("chair");
  auto atk = p.join("member");
  // Through the replica's lower layer (no workflow checks): a question by
  // "the chair", already consolidated; a note by "the clerk"; a question of
  // their own, born consolidated.
  bytes q = new_row_id(), note = new_row_id(), own = new_row_id();
  REQUIRE(atk->rep().commit({set("question", q, "author", chair->member), set("question", q, "target", std::string("MARKER-FORGED-Q")),
                             set("question", q, "status", std::string("consolidated"))}, wall_ms()).ok());
  REQUIRE(atk->rep().commit({set("annotation", note, "author", p.clerk.member), set("annotation", note, "quote", std::string("MARKER-FORGED-NOTE")),
                             set("annotation", note, "visibility", std::string("panel"))}, wall_ms()).ok());
  REQUIRE(atk->rep().commit({set("question", own, "author", atk->member), set("question", own, "target", std::string("MARKER-OWN")),
                             set("question", own, "status", std::string("consolidated"))}, wall_ms()).ok());
  atk->c->flush();
  p.settle({chair.get(), atk.get()});

  auto fresh = p.new_tablet();
  for (auto* r : {&fresh->rep(), &p.clerk.rep(), &chair->rep()}) {
    CHECK(count_rows(*r, "question", q) == 0);
    CHECK(count_rows(*r, "annotation", note) == 0);
    CHECK(count_rows(*r, "question", own) == 0);
  }
}

TEST_CASE("threat model: a member cannot bring back another member's deleted note as their own; its author can") {
  panel p;
  auto chair = p.join("chair");
  auto atk = p.join("member");
  bytes note = new_row_id();
  p.settle({chair.get(), atk.get()});  // the chair writes under the panel's key of now
  REQUIRE(chair->rep().commit({set("annotation", note, "author", chair->member), set("annotation", note, "quote", std::string("MARKER-NOTE")),
                               set("annotation", note, "visibility", std::string("panel"))}, wall_ms()).ok());
  chair->c->flush();
  p.settle({chair.get(), atk.get()});
  REQUIRE(chair->rep().commit({set("annotation", note, "deleted", std::int64_t{1})}, wall_ms()).ok());
  chair->c->flush();
  p.settle({chair.get(), atk.get()});
  REQUIRE(count_rows(atk->rep(), "annotation", note) == 0);
  // Through the replica's lower layer: the deleted note back, in their name.
  REQUIRE(atk->rep().commit({set("annotation", note, "deleted", std::int64_t{0}), set("annotation", note, "author", atk->member)},
                            wall_ms()).ok());
  atk->c->flush();
  p.settle({chair.get(), atk.get()});
  auto fresh = p.new_tablet();
  for (auto* r : {&fresh->rep(), &p.clerk.rep(), &chair->rep()}) CHECK(count_rows(*r, "annotation", note) == 0);
  // The author's undo (workflow::restore_annotation writes these) is taken everywhere.
  p.settle({chair.get(), atk.get(), fresh.get()});
  REQUIRE(chair->rep().commit({set("annotation", note, "deleted", std::int64_t{0}), set("annotation", note, "author", chair->member)},
                              wall_ms()).ok());
  chair->c->flush();
  p.settle({chair.get(), atk.get(), fresh.get()});
  for (auto* r : {&fresh->rep(), &p.clerk.rep(), &atk->rep()}) CHECK(count_rows(*r, "annotation", note) == 1);
}

// ---- a new tablet only believes what it can verify ------------------------------

namespace {

// The space key of the epoch the attacker's invite carried: any member can
// open it from their own invite code and the invite record.
crypto::secret key_from_invite(modified_client& atk, const std::string& code) {
  auto c = keyring::parse_invite(code);
  REQUIRE(c.ok());
  auto box = crypto::box_key::derive(c->secret.expose());
  REQUIRE(box.ok());
  for (auto& r : records_of(atk.keyring(), keyring::kind::invite))
    if (auto k = box->open(r.sealed)) return std::move(*k);
  FAIL("no invite record opens with the code");
  return crypto::secret{};
}

// Every epoch key a member's device `d` holds, as a modified client would
// gather them: its invite's, and each epoch or grant record sealed to it.
std::map<std::uint32_t, crypto::secret> keys_held(modified_client& atk, device& d) {
  std::map<std::uint32_t, crypto::secret> out;
  auto c = keyring::parse_invite(d.code);
  REQUIRE(c.ok());
  auto ib = crypto::box_key::derive(c->secret.expose());
  auto db = crypto::box_key::derive(d.seed);
  REQUIRE((ib.ok() && db.ok()));
  const bytes& me = d.rep().device_id();
  for (auto& e : atk.keyring()) {
    auto r = codec::decode_keyring(e.payload);
    if (!r) continue;
    if (r->k == keyring::kind::invite)
      if (auto k = ib->open(r->sealed)) out.emplace(r->epoch, std::move(*k));
    if (r->k == keyring::kind::grant && r->device == me)
      if (auto k = db->open(r->sealed)) out.emplace(r->epoch, std::move(*k));
    if (r->k == keyring::kind::epoch)
      for (auto& g : r->grants)
        if (g.device == me)
          if (auto k = db->open(g.sealed)) out.emplace(r->epoch, std::move(*k));
  }
  return out;
}

// Every change the server stores (what its operator, or anyone holding a
// copy of its data, has).
std::vector<proto::stored_change> server_stored(modified_client& atk, std::uint64_t since = 0) {
  std::vector<proto::stored_change> out;
  for (;;) {
    REQUIRE(atk.raw.send(proto::pull{since, limits::max_pull_changes}));
    auto m = atk.raw.next();
    REQUIRE((m && std::holds_alternative<proto::changes>(*m)));
    auto& pg = std::get<proto::changes>(*m);
    out.insert(out.end(), pg.items.begin(), pg.items.end());
    if (!pg.more || pg.items.empty()) break;
    since = pg.next;
  }
  return out;
}

std::vector<envelope> server_changes(modified_client& atk) {
  std::vector<envelope> out;
  for (auto& it : server_stored(atk)) out.push_back(codec::decode_envelope(it.envelope).value());
  return out;
}

// Whether `key` opens a stored change whose body holds `marker`.
bool opens_marker(const std::vector<envelope>& changes, const crypto::secret& key, const std::string& marker) {
  for (auto& e : changes) {
    if (e.epoch == 0 || e.epoch == keyring::record_epoch) continue;
    auto pt = crypto::open_envelope(e, key);
    if (pt && std::string(pt->begin(), pt->end()).find(marker) != std::string::npos) return true;
  }
  return false;
}

// A snapshot made from the signer's own honest image, altered: `title` as the
// meeting's title, written as by `writer`, and a covered list that claims
// `covered_actor`'s changes up to seq 1,000,000. Sealed under `key`, signed
// by `signer`, uploaded.
void upload_forged_snapshot(panel& p, device& signer, const crypto::secret& key, const bytes& meeting,
                            const std::string& title, const bytes& writer, const bytes& covered_actor) {
  auto image = signer.rep().snapshot();
  REQUIRE(image.ok());
  auto s = codec::decode_snapshot(*image);
  REQUIRE(s.ok());
  std::uint64_t cursor = s->cursor;
  for (auto& c : s->covered)
    if (c.actor == covered_actor) c.seq = 1'000'000;
  std::uint64_t w = 0;
  for (int i = 0; i < 8; ++i) w = (w << 8) | writer[i];
  s->regs.push_back({"meeting", meeting, "title", reg_ref{w, hlc_timestamp{wall_ms() + 1000, 0}}, title});
  snapshot_blob b;
  b.space = p.space;
  b.cursor = cursor;
  b.epoch = 1;
  b.device = crypto::signing_key::from_seed(signer.seed)->public_key();
  REQUIRE(crypto::seal_snapshot(b, codec::encode_snapshot(*s), &key, *crypto::signing_key::from_seed(signer.seed)).ok());
  bytes blob = codec::encode_snapshot_blob(b);
  modified_client raw(p, signer);
  REQUIRE(raw.raw.send(proto::snapshot_put{cursor, blob.size(), 0, blob}));
  auto m = raw.raw.next();
  REQUIRE((m && std::holds_alternative<proto::snapshot_ack>(*m)));
  REQUIRE(std::get<proto::snapshot_ack>(*m).complete);
}

std::string title_on(replica& r, const bytes& meeting) {
  auto rows = r.rows("meeting", "id", meeting);
  REQUIRE(rows.ok());
  return rows->empty() ? std::string{} : rows->front().text("title");
}

}  // namespace

TEST_CASE("threat model: a member's forged snapshot shows a new tablet nothing, and hides none of the clerk's later changes") {
  panel p;
  bytes meeting = new_row_id();
  REQUIRE(p.clerk.rep().commit({set("meeting", meeting, "title", std::string("Budget scrutiny"))}, wall_ms()).ok());
  p.clerk.c->flush();
  auto atk = p.join("member");
  p.settle({atk.get()});

  modified_client raw(p, *atk);
  crypto::secret key = key_from_invite(raw, atk->code);
  upload_forged_snapshot(p, *atk, key, meeting, "MEETING CANCELLED", p.clerk.rep().device_id(),
                         p.clerk.rep().device_id());
  // The clerk goes on: a later change of theirs must reach every new tablet.
  REQUIRE(p.clerk.rep().commit({set("meeting", meeting, "title", std::string("Budget scrutiny (room 2)"))}, wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({atk.get()});

  auto fresh = p.new_tablet();
  CHECK(title_on(fresh->rep(), meeting) == "Budget scrutiny (room 2)");
}

TEST_CASE("threat model: a snapshot cannot make a new tablet skip a change stored after it") {
  panel p;
  bytes meeting = new_row_id();
  REQUIRE(p.clerk.rep().commit({set("meeting", meeting, "title", std::string("Budget scrutiny"))}, wall_ms()).ok());
  p.clerk.c->flush();
  auto clerk2 = p.join("clerk");  // a clerk's device may publish; its covered list is still checked
  auto chair = p.join("chair");
  p.settle({clerk2.get(), chair.get()});

  modified_client raw(p, *clerk2);
  crypto::secret key = key_from_invite(raw, clerk2->code);
  upload_forged_snapshot(p, *clerk2, key, meeting, "Budget scrutiny", p.clerk.rep().device_id(),
                         chair->rep().device_id());
  bytes cq = new_row_id();
  REQUIRE(chair->rep().commit({set("consolidated_question", cq, "section", std::string("MARKER-CHAIR-LATER"))}, wall_ms()).ok());
  chair->c->flush();
  p.settle({clerk2.get(), chair.get()});

  auto fresh = p.new_tablet();
  CHECK(count_rows(fresh->rep(), "consolidated_question", cq) == 1);
}

// ---- a finder of a lost tablet --------------------------------------------------

TEST_CASE("threat model: a copy is never sealed under a short passphrase, and the CLI never writes keys unsealed") {
  REQUIRE(crypto::init().ok());
  device d;
  auto weak = d.rep().set_passphrase("123456789");
  REQUIRE_FALSE(weak.ok());
  CHECK(weak.err().message.find("at least 10 characters") != std::string::npos);
  CHECK_FALSE(d.rep().has_passphrase());
  CHECK(d.rep().set_passphrase("1234567890").ok());

  temp_dir tmp;
  server_process srv(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv.start(), srv.error());
  std::string url = "ws://127.0.0.1:" + std::to_string(srv.port());
  auto found = [&](const std::string& dir, const std::string& env) {
    // setsid: no controlling terminal, so the CLI cannot ask and must refuse.
    return run_cli(PACKLINE_CLI_BIN, tmp.sub(dir), {"found", "--server", url, "--name", "Dana", "--role", "clerk"},
                   tmp.sub("stderr.txt"), env + "setsid ");
  };
  auto no_pass = found("a", "");
  CHECK(no_pass.code != 0);
  CHECK_MESSAGE(no_pass.err.find("passphrase") != std::string::npos, no_pass.err);
  auto short_pass = found("b", "PACKLINE_PASSPHRASE=short ");
  CHECK(short_pass.code != 0);
  CHECK_MESSAGE(short_pass.err.find("at least 10 characters") != std::string::npos, short_pass.err);
  for (const char* dir : {"a", "b"}) {
    std::string bytes = slurp_dir(tmp.sub(dir));
    CHECK_MESSAGE(bytes.find("key:admin") == std::string::npos, dir);  // no admin key in any unsealed copy
  }
  auto ok = found("c", "PACKLINE_PASSPHRASE='correct horse battery' ");
  CHECK_MESSAGE(ok.code == 0, ok.err);
  std::string sealed = slurp_dir(tmp.sub("c"));
  CHECK(sealed.find("key:admin") == std::string::npos);
}

// ---- superseded keys are retired ------------------------------------------------

TEST_CASE("threat model: a member cannot seal a change under a superseded key on purpose") {
  panel p;
  auto atk = p.join("member");
  auto leaver = p.join("member");
  REQUIRE(p.clerk.rep().remove_member(leaver->member, wall_ms()).ok());  // epoch 2: the leaver holds epoch 1
  p.clerk.c->flush();
  p.settle({atk.get()});
  REQUIRE(atk->rep().write_epoch() > 1);
  REQUIRE(atk->rep().write_epoch() == p.clerk.rep().write_epoch());

  modified_client raw(p, *atk);
  crypto::secret old_key = key_from_invite(raw, atk->code);  // epoch 1's key (the attacker's invite's)
  bytes q = new_row_id();
  change_body b;
  b.hlc = hlc_timestamp{wall_ms(), 0};
  b.ops = {set("question", q, "author", atk->member), set("question", q, "target", std::string("MARKER-OLD-EPOCH")),
           set("question", q, "status", std::string("draft"))};
  envelope e;
  e.space = p.space;
  e.seq = 1000;
  e.epoch = 1;
  REQUIRE(crypto::seal_envelope(e, codec::encode_body(b), old_key, *crypto::signing_key::from_seed(atk->seed)).ok());
  REQUIRE(raw.raw.send(proto::push{{codec::encode_envelope(e)}}));
  auto m = raw.raw.next();
  REQUIRE((m && std::holds_alternative<proto::error>(*m)));
  CHECK(std::get<proto::error>(*m).code == proto::error_superseded);
  CHECK(std::get<proto::error>(*m).text.find("re-seal") != std::string::npos);
  p.settle({atk.get()});
  CHECK(count_rows(p.clerk.rep(), "question", q) == 0);  // never stored
}

TEST_CASE("threat model: a change pushed as the clerk starts a new epoch is re-sealed under it in the same sync") {
  panel p;
  auto tablet = p.join("member");
  auto leaver = p.join("member");
  p.settle({tablet.get(), leaver.get()});
  // The clerk removes a member: the new epoch reaches the server, and the
  // tablet writes before it has read it (its push leaves first).
  REQUIRE(p.clerk.rep().remove_member(leaver->member, wall_ms()).ok());
  p.clerk.c->flush();
  REQUIRE(p.clerk.c->sync());
  std::uint32_t before = tablet->rep().write_epoch();
  bytes q = new_row_id();
  REQUIRE(tablet->rep().commit({set("question", q, "author", tablet->member),
                                set("question", q, "target", std::string("MARKER-RACE")),
                                set("question", q, "status", std::string("draft"))}, wall_ms()).ok());
  tablet->c->flush();
  // One sync: refused as superseded, pulled, re-sealed, pushed again; the member never sees the refusal.
  REQUIRE(tablet->c->sync());
  // The server did refuse the first push (the race happened), and the
  // session took it in its stride: still connected, nothing left to send.
  const auto& errors = tablet->c->errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("server error " + std::to_string(proto::error_superseded) + ":", 0) == 0);
  CHECK(tablet->c->connected());
  CHECK(tablet->rep().pending_count() == 0);
  CHECK(tablet->rep().write_epoch() > before);
  REQUIRE(p.clerk.c->sync());
  CHECK(count_rows(p.clerk.rep(), "question", q) == 1);
}

TEST_CASE("threat model: a used or expired invite code, with all the server's data, opens nothing written afterwards") {
  panel p;
  // Used: the invited tablet joined; someone intercepted the code (a letter).
  auto joined = p.join("member");
  auto reader = p.join("member");  // any member, to fetch what the server stores
  REQUIRE(p.clerk.rep().commit({set("meeting", new_row_id(), "title", std::string("MARKER-AFTER-USE"))}, wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({joined.get(), reader.get()});

  // Expired: an invite nobody redeemed, its week over.
  bytes late = new_row_id();
  auto expired = p.clerk.rep().create_invite(late, "member", wall_ms(), 1);
  REQUIRE(expired.ok());
  p.clerk.c->flush();
  p.settle({joined.get(), reader.get()});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.clerk.c->disconnect();
  REQUIRE(p.clerk.c->connect(p.srv.port()));  // the clerk's tablet sees the invite has expired
  p.settle({joined.get(), reader.get()});
  REQUIRE(p.clerk.rep().commit({set("meeting", new_row_id(), "title", std::string("MARKER-AFTER-EXPIRY"))}, wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({joined.get(), reader.get()});

  modified_client atk(p, *reader);
  auto stored = server_changes(atk);
  crypto::secret used_key = key_from_invite(atk, joined->code);
  CHECK_FALSE(opens_marker(stored, used_key, "MARKER-AFTER-USE"));
  CHECK_FALSE(opens_marker(stored, used_key, "MARKER-AFTER-EXPIRY"));
  crypto::secret expired_key = key_from_invite(atk, *expired);
  CHECK_FALSE(opens_marker(stored, expired_key, "MARKER-AFTER-EXPIRY"));
  // The honest members read both.
  CHECK(reader->rep().write_epoch() == p.clerk.rep().write_epoch());
  CHECK(joined->rep().write_epoch() == p.clerk.rep().write_epoch());
}

TEST_CASE("threat model: a tablet that joined while the clerk rotated offline asks for the new key and recovers") {
  panel p;
  auto leaver = p.join("member");
  auto writer = p.join("member");
  // The clerk hands out an invite, then removes the leaver offline.
  bytes newcomer_member = new_row_id();
  auto code = p.clerk.rep().create_invite(newcomer_member, "member", wall_ms());
  REQUIRE(code.ok());
  p.clerk.c->flush();
  p.settle({leaver.get(), writer.get()});
  p.clerk.c->disconnect();
  REQUIRE(p.clerk.rep().remove_member(leaver->member, wall_ms()).ok());

  // Meanwhile the newcomer joins with the invite's key (the epoch before).
  device newcomer;
  REQUIRE(newcomer.rep().redeem_invite(*code, wall_ms()).ok());
  REQUIRE(newcomer.c->connect(p.srv.port()));
  REQUIRE(newcomer.c->sync());
  REQUIRE_FALSE(newcomer.rep().joining());
  std::uint32_t before = newcomer.rep().write_epoch();

  // The rotation reaches the server after the join, pushed as an older
  // build of the clerk's app would (no grant follows it).
  {
    raw_device clerk_raw(p.clerk.seed);
    REQUIRE(clerk_raw.connect(p.srv.port()));
    REQUIRE(clerk_raw.handshake(p.space).has_value());
    auto records = p.clerk.rep().pending(16);
    REQUIRE(records.size() >= 2);
    REQUIRE(clerk_raw.send(proto::push{records}));
    auto m = clerk_raw.next();
    REQUIRE((m && std::holds_alternative<proto::ack>(*m)));
  }
  REQUIRE(writer->c->sync());
  std::uint32_t rotated = writer->rep().keyring().epoch();
  REQUIRE(rotated > before);
  bytes marker = new_row_id();
  REQUIRE(writer->rep().commit({set("question", marker, "author", writer->member),
                                set("question", marker, "target", std::string("MARKER-NEW-EPOCH")),
                                set("question", marker, "status", std::string("submitted"))}, wall_ms()).ok());
  writer->c->flush();
  REQUIRE(writer->c->sync());

  // The newcomer sees the new epoch without its key: it waits, says so,
  // holds its own change back, and asks.
  for (int i = 0; i < 20; ++i) newcomer.c->step(std::chrono::milliseconds(100));
  CHECK(newcomer.rep().waiting_for_key());
  bytes q = new_row_id();
  newcomer.c->commit({set("question", q, "author", newcomer_member), set("question", q, "target", std::string("while waiting")),
                      set("question", q, "status", std::string("draft"))});
  for (int i = 0; i < 10; ++i) newcomer.c->step(std::chrono::milliseconds(100));
  CHECK(newcomer.rep().pending_count() >= 1);
  modified_client look(p, *writer);
  bool asked = false;
  for (auto& r : records_of(look.keyring(), keyring::kind::key_request))
    asked = asked || (r.device == newcomer.rep().device_id() && r.epoch == rotated);
  CHECK(asked);

  // The clerk's tablet comes back: it grants; the newcomer recovers by itself.
  REQUIRE(p.clerk.c->connect(p.srv.port()));
  REQUIRE(sync_all({p.clerk.c.get(), newcomer.c.get(), writer->c.get()}));
  CHECK_FALSE(newcomer.rep().waiting_for_key());
  CHECK(newcomer.rep().write_epoch() == rotated);
  CHECK(newcomer.rep().pending_count() == 0);
  auto seen = newcomer.rep().rows("question", "id", marker);
  REQUIRE(seen.ok());
  REQUIRE(seen->size() == 1);
  CHECK(seen->front().text("target") == "MARKER-NEW-EPOCH");
  // Its held change went out, re-sealed under the new key.
  bool resealed = false;
  modified_client after(p, *writer);
  for (auto& e : server_changes(after))
    resealed = resealed || (e.actor == newcomer.rep().device_id() && e.epoch == rotated);
  CHECK(resealed);
}

TEST_CASE("threat model: a tablet whose clock is a year off joins a secured panel") {
  panel p;
  constexpr std::uint64_t year_ms = 365ull * 24 * 60 * 60 * 1000;
  for (std::int64_t sign : {-1, 1}) {
    bytes member = new_row_id();
    auto code = p.clerk.rep().create_invite(member, "member", wall_ms());
    REQUIRE(code.ok());
    p.clerk.c->flush();
    REQUIRE(p.clerk.c->sync());
    device d;
    REQUIRE(d.rep().redeem_invite(*code, static_cast<std::uint64_t>(static_cast<std::int64_t>(wall_ms()) + sign * static_cast<std::int64_t>(year_ms))).ok());
    REQUIRE(d.c->connect(p.srv.port()));
    CHECK(sync_all({p.clerk.c.get(), d.c.get()}));
    CHECK_FALSE(d.rep().joining());
    CHECK(d.rep().write_epoch() >= 1);
    CHECK(d.rep().keyring().device(d.rep().device_id()) != nullptr);
  }
}

TEST_CASE("threat model: a server that withholds a keyring record from one tablet is caught by the next change it passes on") {
  panel p;
  auto m = p.join("member");
  auto w = p.join("member");
  p.settle({m.get(), w.get()});
  m->c->disconnect();
  // The clerk changes the keyring (here the lease); another member, who saw
  // it, writes.
  REQUIRE(p.clerk.rep().set_lease(3ull * 24 * 60 * 60 * 1000, wall_ms()).ok());
  p.clerk.c->flush();
  p.settle({w.get()});
  bytes q = new_row_id();
  REQUIRE(w->rep().commit({set("question", q, "author", w->member), set("question", q, "target", std::string("MARKER-AFTER-RECORD")),
                           set("question", q, "status", std::string("submitted"))}, wall_ms()).ok());
  w->c->flush();
  p.settle({w.get()});

  // The operator serves the first member's tablet everything but that record.
  std::vector<proto::stored_change> served;
  {
    modified_client op(p, *m);
    served = server_stored(op, m->rep().cursor());
  }
  std::vector<std::string> refusals;
  bool withheld = false;
  for (auto& it : served) {
    auto e = codec::decode_envelope(it.envelope).value();
    if (e.epoch == keyring::record_epoch && codec::decode_keyring(e.payload)->k == keyring::kind::lease) {
      withheld = true;
      continue;
    }
    if (auto a = m->rep().apply(it.envelope, it.server_seq, wall_ms()); !a) refusals.push_back(a.err().message);
  }
  REQUIRE(withheld);
  bool caught = false;
  for (auto& r : refusals) caught = caught || r.find("withholding a record") != std::string::npos;
  CHECK(caught);
  auto rows = m->rep().rows("question", "id", q);
  REQUIRE(rows.ok());
  CHECK(rows->empty());
}

// Every change the server stores, pulled page by page as a member may, and
// opened with the epoch keys `held`: its plaintext bytes and decoded body.
void each_opened_change(modified_client& raw, const std::map<std::uint32_t, crypto::secret>& held,
                        const std::function<void(const std::string&, const change_body&)>& fn) {
  for (std::uint64_t since = 0;;) {
    REQUIRE(raw.raw.send(proto::pull{since, 0}));
    auto m = raw.raw.next();
    REQUIRE((m && std::holds_alternative<proto::changes>(*m)));
    auto& page = std::get<proto::changes>(*m);
    for (auto& it : page.items) {
      auto e = codec::decode_envelope(it.envelope);
      REQUIRE(e.ok());
      if (e->epoch == keyring::record_epoch) continue;
      auto key = held.find(e->epoch);
      REQUIRE_MESSAGE(key != held.end(), "a member holds the key of every epoch since it joined: " << e->epoch);
      auto plain = crypto::open_envelope(*e, key->second);
      REQUIRE(plain.ok());
      auto body = codec::decode_body(*plain, e->actor);
      REQUIRE(body.ok());
      fn(std::string(plain->begin(), plain->end()), *body);
    }
    if (!page.more || page.items.empty()) break;
    since = page.next;
  }
}

// The clerk publishes a meeting whose pack has one item of one passage;
// returns the meeting, item and passage ids.
std::tuple<bytes, bytes, bytes> publish_item(panel& p, const std::string& text) {
  bytes meeting = new_row_id(), pack = new_row_id(), item = new_row_id(), block = new_row_id();
  REQUIRE(p.clerk.rep().commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                                set("pack", pack, "meeting", meeting), set("pack_item", item, "meeting", meeting),
                                set("pack_item", item, "pack", pack), set("pack_item", item, "number", std::string("5")),
                                set("block", block, "pack", pack), set("block", block, "item", item),
                                set("block", block, "position", std::int64_t{1}), set("block", block, "text", text)},
                               wall_ms()).ok());
  p.clerk.c->flush();
  return {meeting, item, block};
}

// ---- a draft is its author's own -------------------------------------------------

TEST_CASE("threat model: a member's modified client cannot read another member's unsubmitted draft or private note") {
  namespace wf = packline::workflow;
  panel p;
  auto [meeting, item, block] = publish_item(p, "The custody suite closed for repairs in the quarter.");
  auto author = p.join("member");
  auto atk = p.join("member");
  REQUIRE(wf::sign_in(author->rep(), to_hex(author->member)).ok());
  const std::string words = "MARKER-DRAFT will the custody suite at Avonmere reopen?";
  auto id = wf::draft_question(author->rep(), to_hex(item), words, wall_ms());
  REQUIRE_MESSAGE(id.ok(), id.err().message);
  wf::annotation_draft note;
  note.block = to_hex(block);
  note.start = 4;
  note.end = 17;
  note.kind = "note";
  note.body = "MARKER-NOTE ask why the repairs took a quarter";
  note.visibility = "private";
  auto nid = wf::annotate(author->rep(), note, wall_ms());
  REQUIRE_MESSAGE(nid.ok(), nid.err().message);
  author->c->flush();
  p.settle({author.get(), atk.get()});

  // From the server's data: every change the server holds, opened with
  // every epoch key the attacker holds as a member.
  modified_client raw(p, *atk);
  auto held = keys_held(raw, *atk);
  REQUIRE_FALSE(held.empty());
  std::size_t draft_ops = 0, note_ops = 0;
  each_opened_change(raw, held, [&](const std::string& plain, const change_body& body) {
    CHECK_FALSE(plain.find("MARKER-") != std::string::npos);
    for (auto& o : body.ops) {
      if (o.table == "annotation" && o.row == from_hex(*nid) && o.field == "body") ++note_ops;
      if (o.table == "annotation" && o.row == from_hex(*nid)) CHECK(o.text.content.find("repairs") == std::string::npos);
      if (o.table != "question" || o.row != from_hex(*id)) continue;
      ++draft_ops;
      CHECK(o.text.content.find("MARKER") == std::string::npos);
      CHECK(o.text.content.find("custody") == std::string::npos);
    }
  });
  CHECK(draft_ops > 0);  // the draft's changes were there to read
  CHECK(note_ops > 0);   // and the note's text edits

  // From what its own replica received: no words, not even with its own key.
  replica& mine = atk->rep();
  REQUIRE(wf::sign_in(mine, to_hex(atk->member)).ok());
  CHECK(mine.words_key(author->member, from_hex(*id)).err().code == errc::no_key);
  auto own = mine.words_key(atk->member, from_hex(*id));
  REQUIRE(own.ok());
  CHECK(mine.text("question", from_hex(*id), "body", &*own).find("MARKER") == std::string::npos);
  CHECK(mine.text("question", from_hex(*id), "body").find("MARKER") == std::string::npos);
  CHECK(mine.rows("question", "id", from_hex(*id))->front().text("body").empty());
  auto image = mine.save();
  REQUIRE(image.ok());
  CHECK(std::string(image->begin(), image->end()).find("MARKER-") == std::string::npos);
  for (auto& q : *wf::questions(mine, to_hex(meeting))) CHECK(q.id != *id);
  for (auto& a : *wf::annotations(mine, to_hex(meeting))) CHECK(a.id != *nid);
  // The note's body is sealed text: no open characters, and the attacker's
  // own key for that note (as if it were theirs) opens no words either.
  auto note_rows = mine.rows("annotation", "id", from_hex(*nid));
  REQUIRE(note_rows->size() == 1);
  CHECK(note_rows->front().text("body").empty());
  CHECK(mine.text("annotation", from_hex(*nid), "body").empty());
  auto own_note = mine.words_key(atk->member, from_hex(*nid));
  REQUIRE(own_note.ok());
  replica::text_keys guess;
  guess.emplace(1, *own_note);
  std::size_t hidden = 0;
  CHECK(mine.keyed_text("annotation", from_hex(*nid), "body", guess, &hidden).find("MARKER") == std::string::npos);
  CHECK(mine.keyed_text("annotation", from_hex(*nid), "body", {}, &hidden).empty());
  CHECK(hidden == note.body.size());  // every character is there, sealed
  const value* sealed_quote = note_rows->front().get("quote");
  REQUIRE(sealed_quote);
  CHECK(replica::is_private(*sealed_quote));
  CHECK(mine.open_private(std::get<bytes>(*sealed_quote)).err().code == errc::no_key);

  // Submitted, it is the panel's: the same tablet reads it.
  REQUIRE(wf::submit_question(author->rep(), *id, wall_ms()).ok());
  author->c->flush();
  p.settle({author.get(), atk.get()});
  auto qs = wf::questions(mine, to_hex(meeting));
  REQUIRE(qs.ok());
  REQUIRE(qs->size() == 1);
  CHECK(qs->front().body == words);
}

// ---- notes shared with a priority's leads are sealed to them ------------------

TEST_CASE("threat model: a note shared with a priority's leads is unreadable to a member and to a lead who left") {
  namespace wf = packline::workflow;
  panel p;
  auto [meeting, item, block] = publish_item(p, "Rural burglaries rose by a fifth in the quarter.");
  auto chair = p.join("chair");
  auto left = p.join("member");   // a lead who leaves the group
  auto lead = p.join("member");   // a lead who stays, on two tablets
  auto lead2 = p.join("member", lead->member);
  auto atk = p.join("member");    // an ordinary member
  std::vector<device*> all{chair.get(), left.get(), lead.get(), lead2.get(), atk.get()};
  p.settle(all);
  for (auto* d : all) REQUIRE(wf::sign_in(d->rep(), to_hex(d->member)).ok());
  auto pri = wf::add_priority(chair->rep(), 2, "Fight rural crime", wall_ms());
  REQUIRE_MESSAGE(pri.ok(), pri.err().message);
  REQUIRE(wf::set_priority_leads(chair->rep(), *pri, {to_hex(left->member), to_hex(lead->member)}, wall_ms()).ok());
  chair->c->flush();
  p.settle(all);
  auto note = [&](device& d, const std::string& body) {
    wf::annotation_draft n;
    n.block = to_hex(block);
    n.start = 0;
    n.end = 16;
    n.kind = "note";
    n.body = body;
    n.visibility = "priority";
    n.priority = *pri;
    auto id = wf::annotate(d.rep(), n, wall_ms());
    REQUIRE_MESSAGE(id.ok(), id.err().message);
    d.c->flush();
    return *id;
  };
  auto shares = [&](device& d) {
    auto ps = wf::priorities(d.rep());
    REQUIRE(ps.ok());
    for (auto& x : *ps)
      if (x.id == *pri) return x.shares_notes;
    return false;
  };
  CHECK(shares(*left));
  CHECK(shares(*lead2));
  CHECK_FALSE(shares(*atk));
  CHECK_FALSE(shares(*chair));  // the chair made the key and kept none
  auto before = note(*left, "MARKER-BEFORE patrols in the north");
  p.settle(all);
  auto read_on = [&](device& d, const std::string& id) {
    auto as = wf::annotations(d.rep(), to_hex(meeting));
    REQUIRE(as.ok());
    for (auto& a : *as)
      if (a.id == id) return std::optional<wf::annotation>(a);
    return std::optional<wf::annotation>();
  };
  REQUIRE(read_on(*lead2, before));
  CHECK(read_on(*lead2, before)->body == "MARKER-BEFORE patrols in the north");
  CHECK_FALSE(read_on(*atk, before));

  // The lead leaves the group: the chair's change makes a new key for the others.
  REQUIRE(wf::set_priority_leads(chair->rep(), *pri, {to_hex(lead->member)}, wall_ms()).ok());
  chair->c->flush();
  p.settle(all);
  CHECK_FALSE(shares(*left));
  CHECK(wf::annotate(left->rep(), {.block = to_hex(block), .start = 0, .end = 5, .kind = "note", .body = "x",
                                   .visibility = "priority", .priority = *pri}, wall_ms()).err().code == errc::no_key);
  auto after = note(*lead, "MARKER-AFTER ask about farm watch");
  p.settle(all);
  // A current lead on another tablet reads it.
  REQUIRE(read_on(*lead2, after));
  CHECK(read_on(*lead2, after)->body == "MARKER-AFTER ask about farm watch");
  CHECK(read_on(*lead2, after)->quote == "Rural burglaries");
  CHECK_FALSE(read_on(*lead2, after)->locked);

  // The member and the lead who left, as modified clients: every change the
  // server holds, opened with every epoch key they hold, and every group key
  // their replica was given, open nothing of it.
  for (device* d : {atk.get(), left.get()}) {
    CAPTURE(to_hex(d->member));
    CHECK_FALSE(read_on(*d, after));
    modified_client raw(p, *d);
    auto held = keys_held(raw, *d);
    std::size_t ops = 0;
    each_opened_change(raw, held, [&](const std::string& plain, const change_body& body) {
      CHECK(plain.find("MARKER-AFTER") == std::string::npos);
      CHECK(plain.find("farm watch") == std::string::npos);
      for (auto& o : body.ops) ops += o.table == "annotation" && o.row == from_hex(after);
    });
    CHECK(ops > 0);  // the note's changes were there to read
    replica& mine = d->rep();
    replica::text_keys keys;
    std::size_t opened = 0;
    auto groups = mine.rows("group_key", "priority", from_hex(*pri));
    REQUIRE(groups.ok());
    for (auto& g : *groups) {
      auto k = mine.open_group_key(std::get<bytes>(*g.get("wraps")));
      if (!k) continue;
      ++opened;
      const bytes& gid = g.id;
      keys.emplace(2 + ((static_cast<std::uint32_t>(gid[0]) << 16 | static_cast<std::uint32_t>(gid[1]) << 8 | gid[2]) & 0x3fffff), *k);
    }
    CHECK(opened == (d == left.get() ? 1u : 0u));  // the lead who left holds the first key only
    CHECK(mine.keyed_text("annotation", from_hex(after), "body", keys).find("MARKER") == std::string::npos);
    auto image = mine.save();
    REQUIRE(image.ok());
    CHECK(std::string(image->begin(), image->end()).find("MARKER-AFTER") == std::string::npos);
  }
  // The lead who left still reads what was shared while they led (it was theirs to read).
  replica::text_keys old;
  auto left_groups = left->rep().rows("group_key", "priority", from_hex(*pri));
  REQUIRE(left_groups.ok());
  for (auto& g : *left_groups)
    if (auto k = left->rep().open_group_key(std::get<bytes>(*g.get("wraps"))))
      old.emplace(2 + ((static_cast<std::uint32_t>(g.id[0]) << 16 | static_cast<std::uint32_t>(g.id[1]) << 8 | g.id[2]) & 0x3fffff), *k);
  CHECK(left->rep().keyed_text("annotation", from_hex(before), "body", old) == "MARKER-BEFORE patrols in the north");
}

namespace {

bool contains(const bytes& hay, const std::string& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// Whether `r` shows a meeting titled `title` (what a finder would read).
bool shows_meeting(replica& r, const std::string& title) {
  auto rows = r.rows("meeting");
  if (!rows) return false;
  for (auto& m : *rows)
    if (m.text("title") == title) return true;
  return false;
}

}  // namespace

TEST_CASE("threat model: past the lease, a finder with the passphrase and the tablet's files reads nothing; the owner reads again after signing in; a revoked tablet never does") {
  panel p;
  // The clerk sets a short lease; two tablets of members hold a meeting's papers.
  constexpr std::uint64_t lease_ms = 1500;
  REQUIRE(p.clerk.rep().set_lease(lease_ms, wall_ms()).ok());
  const std::string secret_title = "MARKER-LEASE Closed session: the chief executive's conduct";
  bytes meeting = new_row_id();
  REQUIRE(p.clerk.rep().commit({set("meeting", meeting, "title", secret_title)}, wall_ms()).ok());
  p.clerk.c->flush();
  auto lost = p.new_tablet();
  auto stolen = p.new_tablet();
  p.settle({lost.get(), stolen.get()});
  const std::string pass = "correct horse battery staple";
  std::map<device*, bytes> files;
  for (device* d : {lost.get(), stolen.get()}) {
    REQUIRE(shows_meeting(d->rep(), secret_title));
    REQUIRE(d->rep().set_passphrase(pass).ok());
    // A session as a member leaves the tablet's lease secret with the server
    // (sealed to the tablet), which hands it back in the welcome.
    d->c->disconnect();
    REQUIRE(d->c->connect(p.srv.port()));
    REQUIRE(d->c->sync());
    auto f = d->rep().save_sealed();
    REQUIRE(f.ok());
    files[d] = *f;
    auto parts = at_rest::open_copy(*f, at_rest::key_for(*f, pass).value());
    REQUIRE(parts.ok());
    REQUIRE(parts->outer.registered);  // the server keeps it
    d->c->disconnect();
  }
  // Both tablets are lost; the lease runs out. The clerk revokes the one reported stolen.
  std::this_thread::sleep_for(std::chrono::milliseconds(lease_ms + 300));
  REQUIRE(p.clerk.rep().revoke_device(stolen->rep().device_id(), wall_ms()).ok());
  p.clerk.c->flush();
  REQUIRE(p.clerk.c->sync());

  // The finder: the passphrase and the tablet's files, no server. The app opens nothing.
  auto opened = replica::open_sealed(files[lost.get()], pass, wall_ms());
  REQUIRE(opened.ok());
  replica& found = **opened;
  CHECK(found.locked());
  CHECK_FALSE(shows_meeting(found, secret_title));
  CHECK(found.rows("meeting")->empty());
  auto relocked = found.save_sealed();  // what the tablet keeps once it has opened past the lease
  REQUIRE(relocked.ok());
  // Through the lower layers: the passphrase opens the device key and nothing else.
  for (const bytes* f : {&files[lost.get()], &*relocked}) CHECK_FALSE(contains(*f, secret_title));
  auto key = at_rest::key_for(*relocked, pass).value();
  auto parts = at_rest::open_copy(*relocked, key);
  REQUIRE(parts.ok());
  CHECK_FALSE(parts->outer.lease.has_value());
  CHECK(at_rest::open_image(parts->image, key, nullptr).err().code == errc::lease_expired);
  crypto::secret guess = crypto::secret::random(32);
  CHECK(at_rest::open_image(parts->image, key, &guess).err().code == errc::lease_expired);
  // A crafted server: a challenge, then a welcome, with and without a secret
  // sealed to the tablet's own key (which the finder can compute).
  for (bool with_secret : {false, true}) {
    sync_session s(found);
    s.on_open();
    auto auth = s.on_frame(codec::encode(proto::challenge{crypto::random_bytes(32), p.space}), wall_ms());
    REQUIRE(auth.ok());
    auto sent = codec::decode(auth->at(0));
    REQUIRE((sent && std::holds_alternative<proto::auth>(*sent)));
    CHECK(std::get<proto::auth>(*sent).lease.empty());  // a locked copy has no secret to give away
    proto::welcome w{p.space, 1, 0, wall_ms(), {}};
    if (with_secret)
      w.lease = crypto::seal_to(crypto::box_key::derive(lost->seed).value().public_key(), crypto::secret::random(32)).value();
    CHECK(s.on_frame(codec::encode(w), wall_ms()).err().code == errc::lease_expired);
    CHECK(found.locked());
    CHECK_FALSE(shows_meeting(found, secret_title));
  }

  // The owner, back online: the real server checks the tablet's signature
  // and hands its secret back; the panel is there again.
  auto back = replica::open_sealed(*relocked, pass, wall_ms());
  REQUIRE(back.ok());
  sync_client owner(std::move(*back));
  REQUIRE(owner.rep().locked());
  REQUIRE(owner.connect(p.srv.port()));
  REQUIRE(owner.sync());
  CHECK_FALSE(owner.rep().locked());
  CHECK(shows_meeting(owner.rep(), secret_title));

  // The revoked tablet: the server refuses it, so its copy never opens again.
  auto gone = replica::open_sealed(files[stolen.get()], pass, wall_ms());
  REQUIRE(gone.ok());
  sync_client thief(std::move(*gone));
  REQUIRE(thief.rep().locked());
  REQUIRE(thief.connect(p.srv.port()));
  (void)thief.sync(std::chrono::seconds(3));
  CHECK(thief.rep().locked());
  CHECK_FALSE(shows_meeting(thief.rep(), secret_title));
  raw_device raw(stolen->seed);
  REQUIRE(raw.connect(p.srv.port()));
  CHECK_FALSE(raw.handshake(p.space).has_value());
}
