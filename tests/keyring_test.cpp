// Keyring, sealed envelopes and the checks on apply: replicas of a
// secured panel synced through an in-process stand-in for the server that
// runs the same keyring::admit the real server runs, in server order.
#include <doctest/doctest.h>

#include <set>

#include "packline/crypto/at_rest.hpp"
#include "packline/wire/codec.hpp"
#include "packline/base/limits.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/replica/replica.hpp"
#include "packline/panel/tablets.hpp"

using namespace packline;

namespace {

constexpr std::uint64_t t0 = 1'800'000'000'000;  // ms; all clocks start here

std::unique_ptr<replica> device() {
  REQUIRE(crypto::init().ok());
  auto r = replica::create(crypto::random_bytes(32));
  REQUIRE(r.ok());
  return std::move(*r);
}

op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }

bool contains(const bytes& hay, std::string_view needle) {
  return std::string(hay.begin(), hay.end()).find(needle) != std::string::npos;
}

// The server's part: verify, admit (membership and keyring), store in order.
struct mini_server {
  bytes space = crypto::random_bytes(16);
  keyring::state kr;
  std::vector<bytes> log;
  std::set<std::pair<bytes, std::uint64_t>> stored;
  std::uint64_t now = t0;

  result<void> push(replica& r) {
    if (kr.secured() && kr.device(r.device_id()) && kr.device(r.device_id())->revoked)
      return make_error(errc::revoked);
    keyring::state next = kr;
    std::vector<bytes> add;
    for (auto& raw : r.pending(1000)) {
      auto e = codec::decode_envelope(raw);
      REQUIRE(e.ok());
      PL_TRY(push_one(next, *e, raw, add));
    }
    kr = std::move(next);
    for (auto& raw : add) {
      auto e = codec::decode_envelope(raw);
      log.push_back(raw);
      stored.insert({e->actor, e->seq});
      PL_TRY(r.acked(e->actor, e->seq, log.size()));
    }
    return {};
  }
  result<void> push_one(keyring::state& s, const envelope& e, const bytes& raw, std::vector<bytes>& add) {
    PL_TRY(crypto::verify_envelope(e));
    if (stored.count({e.actor, e.seq})) return {};  // a replay changes nothing
    PL_TRY(keyring::admit(s, space, e, log.empty() && add.empty(), now));
    add.push_back(raw);
    return {};
  }
  // Pulls everything new into `r`; returns the refusals it reported.
  result<std::vector<std::string>> pull(replica& r) {
    if (kr.secured()) PL_TRY(kr.may_write(r.device_id()));
    std::vector<std::string> refused;
    for (std::uint64_t i = r.cursor(); i < log.size(); ++i) {
      auto a = r.apply(log[i], i + 1, now);
      if (!a) refused.push_back(a.err().message);
      PL_TRY(r.set_cursor(i + 1));
    }
    return refused;
  }
  // pull (a member pulls before it pushes, as sync_session does, so its
  // unsent changes are re-sealed after a rotation), push, pull, push again
  // (pulls may commit grants and member keys).
  std::vector<std::string> sync(replica& r) {
    std::vector<std::string> early;
    if (kr.device(r.device_id()) && !kr.device(r.device_id())->revoked) {
      auto g = pull(r);
      REQUIRE_MESSAGE(g.ok(), g.err().message);
      early = std::move(*g);
    }
    auto p = push(r);
    REQUIRE_MESSAGE(p.ok(), p.err().message);
    auto got = pull(r);
    REQUIRE_MESSAGE(got.ok(), got.err().message);
    auto p2 = push(r);
    REQUIRE_MESSAGE(p2.ok(), p2.err().message);
    early.insert(early.end(), got->begin(), got->end());
    return early;
  }
};

struct panel {
  mini_server srv;
  std::unique_ptr<replica> clerk = device();
  bytes clerk_member = new_row_id();
  panel() {
    REQUIRE(clerk->found_space(srv.space, clerk_member, "clerk", t0).ok());
    REQUIRE(clerk->commit({set("member", clerk_member, "name", std::string("Dana Whitfield")),
                           set("member", clerk_member, "role", std::string("clerk"))}, t0).ok());
    CHECK(srv.sync(*clerk).empty());
    CHECK(clerk->secured());
  }
  // A new device of `member` (a new member row unless given) with `role`.
  // `refusals`: changes in the log the new device is expected to refuse.
  std::unique_ptr<replica> join(const std::string& role, bytes member = {}, std::size_t refusals = 0) {
    bool fresh = member.empty();
    if (fresh) member = new_row_id();
    if (fresh)
      REQUIRE(clerk->commit({set("member", member, "name", std::string("Cllr ") + role), set("member", member, "role", role)}, t0).ok());
    auto code = clerk->create_invite(member, role, t0);
    REQUIRE(code.ok());
    srv.sync(*clerk);
    auto d = device();
    REQUIRE(d->redeem_invite(*code, t0).ok());
    CHECK(d->joining());
    auto refused = srv.sync(*d);
    CHECK(refused.size() == refusals);
    CHECK_FALSE(d->joining());
    srv.sync(*clerk);  // the clerk sees the join and grants earlier epochs
    srv.sync(*d);
    return d;
  }
};

// The panel's member rows a replica shows.
std::size_t title_rows(replica& r) {
  auto rows = r.rows("member");
  return rows ? rows->size() : 0;
}

std::string title_of(replica& r, const bytes& id) {
  auto rows = r.rows("meeting", "id", id);
  return rows && !rows->empty() ? rows->front().text("title") : std::string{};
}

}  // namespace

TEST_CASE("keyring: a founded panel syncs sealed changes; the server's log holds no plaintext") {
  panel p;
  bytes meeting = new_row_id();
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("MARKER-MEETING-4711"))}, t0).ok());
  p.srv.sync(*p.clerk);
  auto member = p.join("member");
  CHECK(member->secured());
  CHECK(member->write_epoch() == 1);
  CHECK(title_of(*member, meeting) == "MARKER-MEETING-4711");
  bytes q = new_row_id();
  REQUIRE(member->commit({set("question", q, "author", member->my_member()), set("question", q, "target", std::string("MARKER-QUESTION-0815")),
                          set("question", q, "status", std::string("draft"))}, t0).ok());
  CHECK(p.srv.sync(*member).empty());
  CHECK(p.srv.sync(*p.clerk).empty());
  auto qs = p.clerk->rows("question", "id", q);
  REQUIRE(qs.ok());
  REQUIRE(qs->size() == 1);
  CHECK(qs->front().text("target") == "MARKER-QUESTION-0815");
  for (auto& env : p.srv.log) {
    CHECK_FALSE(contains(env, "MARKER-"));
    CHECK_FALSE(contains(env, "Dana Whitfield"));
  }
}

TEST_CASE("keyring: a forged change is rejected on every replica and the sync goes on") {
  panel p;
  auto chair = p.join("chair");
  auto member = p.join("member");
  // A member writes the consolidated list (chair only) by a raw commit that
  // skips the workflow's local check: the server cannot see it, replicas refuse it.
  bytes cq = new_row_id();
  REQUIRE(member->commit({set("consolidated_question", cq, "section", std::string("forged"))}, t0).ok());
  bytes q = new_row_id();
  REQUIRE(member->commit({set("question", q, "author", member->my_member()), set("question", q, "target", std::string("honest"))}, t0).ok());
  CHECK(p.srv.sync(*member).empty());
  for (replica* r : {p.clerk.get(), chair.get()}) {
    auto refused = p.srv.sync(*r);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].find("only the chair or vice-chair edits the final question list") != std::string::npos);
    CHECK(r->rows("consolidated_question")->empty());
    CHECK(r->rows("question", "id", q)->size() == 1);  // the member's next change still applies
    CHECK(r->waiting_count() == 0);
  }
  // Only the author edits a draft: the chair's edit of the member's body is refused by the others.
  REQUIRE(chair->commit({set("question", q, "target", std::string("chair rewrote it"))}, t0).ok());
  p.srv.sync(*chair);
  auto refused = p.srv.sync(*p.clerk);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find("only the author edits a draft") != std::string::npos);
  CHECK(p.clerk->rows("question", "id", q)->front().text("target") == "honest");
  // The clerk publishes meetings; a member may not.
  REQUIRE(member->commit({set("meeting", new_row_id(), "title", std::string("fake meeting"))}, t0).ok());
  p.srv.sync(*member);
  refused = p.srv.sync(*chair);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find("only the clerk publishes") != std::string::npos);
}

TEST_CASE("keyring: forged signature, replayed change and wrong epoch") {
  panel p;
  auto member = p.join("member");
  bytes q = new_row_id();
  REQUIRE(member->commit({set("question", q, "author", member->my_member()), set("question", q, "target", std::string("x"))}, t0).ok());
  auto pending = member->pending(10);
  REQUIRE(pending.size() == 1);
  auto e = codec::decode_envelope(pending[0]);
  REQUIRE(e.ok());

  // Forged signature: the server refuses it, and so does a replica given it directly.
  auto forged = *e;
  forged.payload[forged.payload.size() / 2] ^= 1;
  std::vector<bytes> add;
  keyring::state copy = p.srv.kr;
  CHECK(p.srv.push_one(copy, forged, codec::encode_envelope(forged), add).err().code == errc::bad_signature);
  CHECK(p.clerk->apply(codec::encode_envelope(forged), 99, t0).err().code == errc::bad_signature);
  // Signed by the device but not sealed under the key it claims (another key).
  auto resealed = *e;
  crypto::secret other = crypto::secret::random(32);
  // (the member's own signing key is not reachable here: a stranger's device signs instead)
  auto stranger = crypto::signing_key::generate();
  REQUIRE(crypto::seal_envelope(resealed, bytes{0x93, 0, 0, 0x90}, other, stranger).ok());
  CHECK(keyring::admit(copy, p.srv.space, resealed, false, t0).err().code == errc::not_member);

  // Replay: stored once, acknowledged again, applied once.
  CHECK(p.srv.sync(*member).empty());
  std::size_t n = p.srv.log.size();
  REQUIRE(p.srv.push_one(copy, *e, pending[0], add).ok());
  CHECK(add.empty());
  CHECK(p.srv.log.size() == n);
  CHECK(p.srv.sync(*p.clerk).empty());
  CHECK(p.clerk->apply(pending[0], n, t0).value() == apply_status::duplicate);

  // Wrong epoch: a change claiming an epoch the keyring has not reached.
  auto future = *e;
  future.seq = e->seq + 1;
  future.epoch = 7;
  future.signature = bytes(64, 0);
  copy = p.srv.kr;
  auto ad = keyring::admit(copy, p.srv.space, future, false, t0);
  CHECK(ad.err().code == errc::forbidden);
  CHECK(ad.err().message.find("wrong epoch") != std::string::npos);
  // Unsealed (epoch 0) changes are refused in a secured panel.
  future.epoch = 0;
  CHECK(keyring::admit(copy, p.srv.space, future, false, t0).err().code == errc::forbidden);

  // The same on a replica (a server that let them through): signed by the
  // member's device, so authentic, refused with the reason, kept as known,
  // and the member's next change still applies.
  envelope next = *e;
  next.seq = e->seq + 1;
  next.epoch = 7;
  next.signature = member->key_sign(crypto::envelope_to_sign(next));
  auto wrong = p.clerk->apply(codec::encode_envelope(next), p.srv.log.size() + 1, t0);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.err().code == errc::forbidden);
  CHECK(wrong.err().message.find("wrong epoch") != std::string::npos);
  envelope plain = *e;
  plain.seq = e->seq + 2;
  plain.epoch = 0;
  plain.payload = codec::encode_body(change_body{{t0, 0}, {set("question", q, "target", std::string("y"))}, {}}, member->device_id());
  plain.signature = member->key_sign(crypto::envelope_to_sign(plain));
  auto unsealed = p.clerk->apply(codec::encode_envelope(plain), p.srv.log.size() + 2, t0);
  REQUIRE_FALSE(unsealed.ok());
  CHECK(unsealed.err().message.find("unsealed change in a secured panel") != std::string::npos);
  CHECK(p.clerk->apply(codec::encode_envelope(plain), p.srv.log.size() + 2, t0).value() == apply_status::duplicate);
}

TEST_CASE("keyring: a removed member is refused at once and cannot read the next epoch") {
  panel p;
  auto alice = p.join("member");
  auto bob = p.join("member");
  bytes alice_member = alice->my_member();
  REQUIRE(p.clerk->remove_member(alice_member, t0 + 1000).ok());
  p.srv.sync(*p.clerk);
  CHECK(p.srv.kr.epoch() == 2);
  CHECK(p.clerk->write_epoch() == 2);
  // Refused by the server for pushes and pulls.
  REQUIRE(alice->commit({set("question", new_row_id(), "target", std::string("after removal"))}, t0 + 2000).ok());
  CHECK(p.srv.push(*alice).err().code == errc::revoked);
  CHECK(p.srv.pull(*alice).err().code == errc::revoked);
  // The clerk writes under epoch 2; Bob reads it, Alice (handed the bytes anyway) cannot.
  bytes meeting = new_row_id();
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("MARKER-AFTER-REMOVAL"))}, t0 + 3000).ok());
  p.srv.sync(*p.clerk);
  p.srv.sync(*bob);
  CHECK(bob->write_epoch() == 2);
  CHECK(title_of(*bob, meeting) == "MARKER-AFTER-REMOVAL");
  for (std::uint64_t i = alice->cursor(); i < p.srv.log.size(); ++i) (void)alice->apply(p.srv.log[i], i + 1, t0 + 4000);
  CHECK(title_of(*alice, meeting).empty());
  CHECK(alice->write_epoch() <= 1);
  // A forged enrolment by a member (not the admin key) is refused everywhere.
  keyring::record en;
  en.k = keyring::kind::enrol;
  en.member = alice_member;
  en.role = "chair";
  en.device = alice->device_id();
  en.xpk = bytes(32, 1);
  keyring::sign(en, p.srv.space, crypto::signing_key::generate());
  envelope fe;
  fe.space = p.srv.space;
  fe.seq = 99;
  fe.epoch = keyring::record_epoch;
  fe.payload = codec::encode_keyring(en);
  auto bob_key = crypto::signing_key::generate();
  crypto::sign_envelope(fe, bob_key);
  keyring::state copy = p.srv.kr;
  CHECK(keyring::admit(copy, p.srv.space, fe, false, t0).err().code != errc::ok);
}

TEST_CASE("keyring: a revoked device is refused; the member's other device goes on") {
  panel p;
  auto tablet = p.join("member");
  bytes m = tablet->my_member();
  auto laptop = p.join("member", m);
  CHECK(laptop->my_member() == m);
  REQUIRE(p.clerk->revoke_device(tablet->device_id(), t0 + 1000).ok());
  p.srv.sync(*p.clerk);
  REQUIRE(tablet->commit({set("question", new_row_id(), "target", std::string("lost tablet"))}, t0 + 2000).ok());
  CHECK(p.srv.push(*tablet).err().code == errc::revoked);
  bytes q = new_row_id();
  REQUIRE(laptop->commit({set("question", q, "author", m), set("question", q, "target", std::string("still here"))}, t0 + 2000).ok());
  p.srv.sync(*laptop);
  CHECK(laptop->write_epoch() == 2);
  CHECK(p.srv.sync(*p.clerk).empty());
  CHECK(p.clerk->rows("question", "id", q)->size() == 1);
}

TEST_CASE("keyring: invites are single use and expire") {
  panel p;
  bytes m = new_row_id();
  auto code = p.clerk->create_invite(m, "member", t0, 60'000);
  REQUIRE(code.ok());
  p.srv.sync(*p.clerk);
  auto a = device();
  REQUIRE(a->redeem_invite(*code, t0).ok());
  p.srv.sync(*a);
  auto b = device();
  REQUIRE(b->redeem_invite(*code, t0).ok());
  auto second = p.srv.push(*b);
  CHECK(second.err().code == errc::forbidden);
  CHECK(second.err().message.find("used already") != std::string::npos);

  auto late_code = p.clerk->create_invite(new_row_id(), "member", t0, 60'000);
  REQUIRE(late_code.ok());
  p.srv.sync(*p.clerk);
  auto c = device();
  p.srv.now = t0 + 600'000;  // past the expiry and beyond the join's clock bound
  REQUIRE(c->redeem_invite(*late_code, p.srv.now).ok());
  auto late = p.srv.push(*c);
  CHECK(late.err().code == errc::forbidden);
  CHECK(late.err().message.find("expired") != std::string::npos);
  // Backdating the join does not help: the server bounds its time.
  auto d = device();
  REQUIRE(d->redeem_invite(*late_code, t0).ok());
  CHECK(p.srv.push(*d).err().message.find("too far from the server's clock") != std::string::npos);
}

TEST_CASE("keyring: past the offline lease the copy opens only with the secret the server hands back") {
  panel p;
  auto member = p.join("member");
  REQUIRE(member->set_passphrase("member passphrase").ok());
  // The device's auth carries its lease secret sealed to itself; the server
  // keeps it and hands it back in the welcome (here by hand).
  auto kept = member->lease_offer();
  REQUIRE(kept.ok());
  REQUIRE(kept->size() == limits::sealed_lease_bytes);
  REQUIRE(member->welcome_lease(*kept, t0).value());
  auto sealed = member->save_sealed();
  REQUIRE(sealed.ok());
  CHECK_FALSE(contains(*sealed, "Dana Whitfield"));
  // Within the lease: opens normally.
  auto fine = replica::open_sealed(*sealed, "member passphrase", t0 + keyring::default_lease_ms / 2);
  REQUIRE(fine.ok());
  CHECK_FALSE((*fine)->locked());
  CHECK((*fine)->write_epoch() == 1);
  CHECK(title_rows(**fine) == 2);
  // Wrong passphrase, tampered and truncated images.
  CHECK(replica::open_sealed(*sealed, "wrong passphrase", t0).err().code == errc::wrong_passphrase);
  auto bad = *sealed;
  bad[bad.size() / 2] ^= 0x40;
  CHECK(replica::open_sealed(bad, "member passphrase", t0).err().code == errc::corrupt_replica);
  CHECK(replica::open_sealed(bytes(sealed->begin(), sealed->end() - 100), "member passphrase", t0).err().code ==
        errc::corrupt_replica);
  // Past the lease: locked, nothing of the panel inside, nothing can be written.
  std::uint64_t later = t0 + keyring::default_lease_ms + 1;
  auto stale = replica::open_sealed(*sealed, "member passphrase", later);
  REQUIRE(stale.ok());
  replica& r = **stale;
  CHECK(r.locked());
  CHECK(r.device_id() == member->device_id());
  CHECK(title_rows(r) == 0);
  CHECK(r.write_epoch() == 0);
  CHECK(r.lease_offer()->empty());  // it has no secret to offer
  CHECK(r.commit({set("question", new_row_id(), "target", std::string("x"))}, later).err().code == errc::lease_expired);
  // A welcome without the secret (a crafted one, or a server that keeps none) restores nothing.
  CHECK(r.welcome_lease({}, later).err().code == errc::lease_expired);
  CHECK(r.welcome_lease(crypto::seal_to(crypto::box_key::derive(crypto::random_bytes(32))->public_key(),
                                        crypto::secret::random(32)).value(), later).err().code == errc::lease_expired);
  CHECK(r.locked());
  CHECK(title_rows(r) == 0);
  // Saved locked, the copy no longer holds the secret: the passphrase alone opens nothing.
  auto resaved = r.save_sealed();
  REQUIRE(resaved.ok());
  auto key = at_rest::key_for(*resaved, "member passphrase");
  REQUIRE(key.ok());
  auto parts = at_rest::open_copy(*resaved, *key);
  REQUIRE(parts.ok());
  CHECK(parts->outer.bound);
  CHECK_FALSE(parts->outer.lease.has_value());
  CHECK(at_rest::open_image(parts->image, *key, nullptr).err().code == errc::lease_expired);
  auto reopened = replica::open_sealed(*resaved, "member passphrase", t0);  // even with the clock wound back
  REQUIRE(reopened.ok());
  CHECK((*reopened)->locked());
  // The server's welcome after the device's signed auth: the whole copy is back, in the same object.
  replica& again = **reopened;
  REQUIRE(again.welcome_lease(*kept, later).ok());
  CHECK_FALSE(again.locked());
  CHECK(again.write_epoch() == 1);
  CHECK(title_rows(again) == 2);
  CHECK(again.commit({set("question", new_row_id(), "target", std::string("x"))}, later).ok());
  // Running past the lease locks in place; the server's welcome reopens it.
  CHECK_FALSE(again.lock_if_expired(later + 1).value());  // the welcome started the lease anew
  std::uint64_t much_later = later + keyring::default_lease_ms + 1;
  REQUIRE(again.lock_if_expired(much_later).value());
  CHECK(again.locked());
  CHECK(title_rows(again) == 0);
  REQUIRE(again.welcome_lease(*kept, much_later).ok());
  CHECK(title_rows(again) == 2);
  CHECK(again.pending_count() == 1);
}

TEST_CASE("keyring: records round-trip through the codec and signatures bind the space") {
  keyring::record r;
  r.k = keyring::kind::invite;
  r.invite_id = bytes(16, 1);
  r.invite_pk = bytes(32, 2);
  r.member = bytes(16, 3);
  r.role = "member";
  r.expires_ms = 123;
  r.epoch = 4;
  r.sealed = bytes(80, 5);
  r.grants.push_back({bytes(32, 6), bytes(80, 7)});
  auto admin = crypto::signing_key::generate();
  keyring::sign(r, bytes(16, 9), admin);
  auto back = codec::decode_keyring(codec::encode_keyring(r));
  REQUIRE(back.ok());
  CHECK(*back == r);
  CHECK(crypto::verify(admin.public_key(), keyring::signed_bytes(bytes(16, 9), r), r.sig));
  CHECK_FALSE(crypto::verify(admin.public_key(), keyring::signed_bytes(bytes(16, 8), r), r.sig));
  CHECK(codec::decode_keyring(bytes{0x91, 0x0c}).err().code == errc::malformed);
  auto code = keyring::format_invite({bytes(16, 0xab), crypto::secret(bytes(32, 0xcd))});
  CHECK(code.size() == 96);
  auto parsed = keyring::parse_invite(code);
  REQUIRE(parsed.ok());
  CHECK(parsed->space == bytes(16, 0xab));
  CHECK(keyring::parse_invite("abc").err().code == errc::invalid_argument);
}

#include "packline/panel/workflow.hpp"

TEST_CASE("keyring: a private note through the workflow is ciphertext on other members' replicas") {
  panel p;
  REQUIRE(packline::workflow::sign_in(*p.clerk, to_hex(p.clerk_member)).ok());
  // The clerk publishes a meeting with one item and one paragraph.
  bytes meeting = new_row_id(), pack = new_row_id(), item = new_row_id(), block = new_row_id();
  std::string text = "The force answered 87 per cent of 999 calls within ten seconds in the quarter.";
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                           set("pack", pack, "meeting", meeting), set("pack_item", item, "meeting", meeting),
                           set("pack_item", item, "pack", pack), set("pack_item", item, "number", std::string("5")),
                           set("block", block, "pack", pack), set("block", block, "item", item),
                           set("block", block, "position", std::int64_t{1}), set("block", block, "text", text)}, t0).ok());
  p.srv.sync(*p.clerk);
  auto author = p.join("member");
  auto other = p.join("member");
  REQUIRE(packline::workflow::sign_in(*author, to_hex(author->my_member())).ok());
  packline::workflow::annotation_draft d;
  d.block = to_hex(block);
  d.start = 10;
  d.end = 30;
  d.kind = "note";
  d.body = "MARKER-PRIVATE-WORKFLOW ask about call handler vacancies";
  d.visibility = "private";
  auto id = packline::workflow::annotate(*author, d, t0 + 5);
  REQUIRE_MESSAGE(id.ok(), id.err().message);
  auto mine = packline::workflow::annotations(*author, to_hex(meeting));
  REQUIRE(mine.ok());
  REQUIRE(mine->size() == 1);
  CHECK(mine->front().body == d.body);
  CHECK(mine->front().quote == text.substr(10, 20));
  CHECK(mine->front().status == packline::workflow::anchor_status::exact);
  CHECK(p.srv.sync(*author).empty());
  CHECK(p.srv.sync(*other).empty());
  CHECK(p.srv.sync(*p.clerk).empty());
  for (replica* r : {other.get(), p.clerk.get()}) {
    auto rows = r->rows("annotation", "id", from_hex(*id));
    REQUIRE(rows->size() == 1);
    for (const char* f : {"quote", "prefix", "suffix"}) {
      const value* v = rows->front().get(f);
      REQUIRE(v);
      CHECK(replica::is_private(*v));
      CHECK_FALSE(contains(std::get<bytes>(*v), "MARKER-PRIVATE"));
      CHECK_FALSE(contains(std::get<bytes>(*v), "999 calls"));
    }
    // The body is sealed text: no open characters, and nothing in the saved file.
    CHECK(rows->front().text("body").empty());
    CHECK(r->text("annotation", from_hex(*id), "body").empty());
    CHECK_FALSE(contains(*r->save(), "MARKER-PRIVATE"));
  }
  for (auto& env : p.srv.log) CHECK_FALSE(contains(env, "MARKER-PRIVATE"));
  // Shared with the panel, the words are written again in the open; made
  // private again, they are sealed again.
  REQUIRE(packline::workflow::edit_annotation(*author, *id, "MARKER-SHARED now for all", "panel", "", t0 + 6).ok());
  p.srv.sync(*author);
  p.srv.sync(*other);
  auto shared = other->rows("annotation", "id", from_hex(*id));
  CHECK(shared->front().text("body") == "MARKER-SHARED now for all");
  CHECK(packline::workflow::annotations(*other, to_hex(meeting))->front().body == "MARKER-SHARED now for all");
  CHECK(shared->front().text("quote") == text.substr(10, 20));
  REQUIRE(packline::workflow::edit_annotation(*author, *id, "MARKER-PRIVATE-AGAIN", "private", "", t0 + 7).ok());
  p.srv.sync(*author);
  p.srv.sync(*other);
  auto again = other->rows("annotation", "id", from_hex(*id));
  CHECK(again->front().text("body").empty());  // typed anew under the author's key
  CHECK(replica::is_private(*again->front().get("quote")));
  CHECK(packline::workflow::annotations(*other, to_hex(meeting))->empty());
  CHECK_FALSE(contains(*other->save(), "MARKER-PRIVATE-AGAIN"));
  CHECK(packline::workflow::annotations(*author, to_hex(meeting))->front().body == "MARKER-PRIVATE-AGAIN");
}

TEST_CASE("keyring: a draft's words are sealed to its author's devices until submitted; then the panel reads them") {
  namespace wf = packline::workflow;
  panel p;
  bytes meeting = new_row_id(), pack = new_row_id(), item = new_row_id();
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                           set("pack", pack, "meeting", meeting), set("pack_item", item, "meeting", meeting),
                           set("pack_item", item, "pack", pack), set("pack_item", item, "number", std::string("5"))}, t0).ok());
  p.srv.sync(*p.clerk);
  auto tablet = p.join("member");
  auto phone = p.join("member", tablet->my_member());  // the author's second device
  auto chair = p.join("chair");
  auto other = p.join("member");
  for (auto* r : {tablet.get(), phone.get()}) REQUIRE(wf::sign_in(*r, to_hex(tablet->my_member())).ok());
  REQUIRE(wf::sign_in(*chair, to_hex(chair->my_member())).ok());
  REQUIRE(wf::sign_in(*other, to_hex(other->my_member())).ok());
  for (auto* r : {tablet.get(), phone.get(), chair.get(), other.get()}) p.srv.sync(*r);

  auto id = wf::draft_question(*tablet, to_hex(item), "MARKER-SEALED how many officers patrol at night?", t0 + 5);
  REQUIRE_MESSAGE(id.ok(), id.err().message);
  for (auto* r : {tablet.get(), phone.get(), chair.get(), other.get(), p.clerk.get()}) CHECK(p.srv.sync(*r).empty());
  auto body_on = [&](replica& r) {
    auto qs = wf::questions(r, to_hex(meeting));
    REQUIRE(qs.ok());
    for (auto& q : *qs)
      if (q.id == *id) return std::optional<std::string>(q.body);
    return std::optional<std::string>();
  };
  // Both of the author's devices read it; nobody else's replica holds the words.
  CHECK(body_on(*tablet) == "MARKER-SEALED how many officers patrol at night?");
  CHECK(body_on(*phone) == "MARKER-SEALED how many officers patrol at night?");
  for (replica* r : {chair.get(), other.get(), p.clerk.get()}) {
    CHECK_FALSE(body_on(*r).has_value());
    CHECK(r->rows("question", "id", from_hex(*id))->front().text("body").empty());
    CHECK(r->text("question", from_hex(*id), "body").find("MARKER") == std::string::npos);
    CHECK(r->words_key(tablet->my_member(), from_hex(*id)).err().code == errc::no_key);
    auto image = r->save();
    REQUIRE(image.ok());
    CHECK_FALSE(contains(*image, "MARKER-SEALED"));
  }
  // Not even the author's own saved replica holds the words in the clear.
  CHECK_FALSE(contains(*tablet->save(), "MARKER-SEALED"));
  CHECK(wf::edit_question(*other, *id, {.body = "taken over"}, t0 + 6).err().message == "only the author edits a draft");

  // Both devices edit the draft offline; the edits merge, still sealed.
  wf::question_draft e1;
  e1.body = "MARKER-SEALED how many officers patrol at night in the north?";
  REQUIRE(wf::edit_question(*tablet, *id, e1, t0 + 7).ok());
  wf::question_draft e2;
  e2.body = "Chair, MARKER-SEALED how many officers patrol at night?";
  REQUIRE(wf::edit_question(*phone, *id, e2, t0 + 7).ok());
  for (auto* r : {tablet.get(), phone.get(), chair.get(), other.get(), tablet.get(), phone.get()}) p.srv.sync(*r);
  const std::string merged = "Chair, MARKER-SEALED how many officers patrol at night in the north?";
  CHECK(body_on(*tablet) == merged);
  CHECK(body_on(*phone) == merged);
  CHECK_FALSE(body_on(*other).has_value());
  CHECK(chair->digest() == tablet->digest());  // the same sealed text on every replica

  // Submitted: the chair and the panel read it, and a late edit from the
  // other device (made before it heard of the submission) too.
  REQUIRE(wf::submit_question(*tablet, *id, t0 + 8).ok());
  wf::question_draft late;
  late.body = merged + " And by day?";
  REQUIRE(wf::edit_question(*phone, *id, late, t0 + 8).ok());
  for (auto* r : {tablet.get(), phone.get(), chair.get(), other.get(), tablet.get()}) CHECK(p.srv.sync(*r).empty());
  for (replica* r : {tablet.get(), phone.get(), chair.get(), other.get()}) CHECK(body_on(*r) == merged + " And by day?");
  CHECK(chair->digest() == other->digest());
}

TEST_CASE("keyring: any lead of a priority edits its KLOEs on every replica; others' edits are refused") {
  panel p;
  auto lead1 = p.join("member");
  auto lead2 = p.join("member");
  auto other = p.join("member");
  bytes priority = new_row_id(), kloe = new_row_id();
  REQUIRE(p.clerk->commit({set("priority", priority, "title", std::string("Fight Rural Crime")),
                           set("priority", priority, "leads", to_hex(lead1->my_member()) + "," + to_hex(lead2->my_member()))},
                          t0).ok());
  p.srv.sync(*p.clerk);
  for (replica* r : {lead1.get(), lead2.get(), other.get()}) p.srv.sync(*r);
  auto ops = lead1->text_ops("kloe", kloe, "bullets", "- Farm thefts");
  REQUIRE(ops.ok());
  ops->push_back(set("kloe", kloe, "priority", priority));
  ops->push_back(set("kloe", kloe, "owner", lead1->my_member()));
  REQUIRE(lead1->commit(std::move(*ops), t0 + 1).ok());
  CHECK(p.srv.sync(*lead1).empty());
  CHECK(p.srv.sync(*lead2).empty());
  REQUIRE(lead2->set_text("kloe", kloe, "bullets", "- Farm thefts\n- Hare coursing", t0 + 2).ok());
  CHECK(p.srv.sync(*lead2).empty());
  CHECK(p.srv.sync(*other).empty());
  REQUIRE(other->set_text("kloe", kloe, "bullets", "not a lead's words", t0 + 3).ok());
  p.srv.sync(*other);
  auto refused = p.srv.sync(*p.clerk);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find("only a lead of this priority edits its key lines of enquiry") != std::string::npos);
  CHECK(p.clerk->rows("kloe", "id", kloe)->front().text("bullets") == "- Farm thefts\n- Hare coursing");
}

TEST_CASE("keyring: two tablets of one member edit one private note offline; it merges, sealed, and stays theirs") {
  namespace wf = packline::workflow;
  panel p;
  bytes meeting = new_row_id(), pack = new_row_id(), item = new_row_id(), block = new_row_id();
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                           set("pack", pack, "meeting", meeting), set("pack_item", item, "meeting", meeting),
                           set("pack_item", item, "pack", pack), set("pack_item", item, "number", std::string("5")),
                           set("block", block, "pack", pack), set("block", block, "item", item),
                           set("block", block, "position", std::int64_t{1}),
                           set("block", block, "text", std::string("Response times in the rural north rose again."))}, t0).ok());
  p.srv.sync(*p.clerk);
  auto tablet = p.join("member");
  auto phone = p.join("member", tablet->my_member());
  auto other = p.join("member");
  for (auto* r : {tablet.get(), phone.get()}) REQUIRE(wf::sign_in(*r, to_hex(tablet->my_member())).ok());
  REQUIRE(wf::sign_in(*other, to_hex(other->my_member())).ok());
  for (auto* r : {tablet.get(), phone.get(), other.get()}) p.srv.sync(*r);
  wf::annotation_draft d;
  d.block = to_hex(block);
  d.start = 0;
  d.end = 14;
  d.kind = "note";
  d.body = "MARKER-NOTE ask about the north";
  d.visibility = "private";
  auto id = wf::annotate(*tablet, d, t0 + 5);
  REQUIRE_MESSAGE(id.ok(), id.err().message);
  for (auto* r : {tablet.get(), phone.get(), other.get()}) CHECK(p.srv.sync(*r).empty());
  auto body_on = [&](replica& r) {
    auto all = wf::annotations(r, to_hex(meeting));
    REQUIRE(all.ok());
    for (auto& a : *all)
      if (a.id == *id) return std::optional<std::string>(a.body);
    return std::optional<std::string>();
  };
  CHECK(body_on(*phone) == "MARKER-NOTE ask about the north");

  // Both tablets edit it offline, at each end; both edits survive the merge.
  REQUIRE(wf::edit_annotation(*tablet, *id, "Chair: MARKER-NOTE ask about the north", "private", "", t0 + 6).ok());
  REQUIRE(wf::edit_annotation(*phone, *id, "MARKER-NOTE ask about the north and the coast", "private", "", t0 + 6).ok());
  for (auto* r : {tablet.get(), phone.get(), other.get(), tablet.get()}) CHECK(p.srv.sync(*r).empty());
  const std::string merged = "Chair: MARKER-NOTE ask about the north and the coast";
  CHECK(body_on(*tablet) == merged);
  CHECK(body_on(*phone) == merged);
  CHECK(tablet->digest() == other->digest());  // the same sealed text on every replica
  // Another member's replica lists nothing and holds no words, not even in its file or the server's log.
  CHECK_FALSE(body_on(*other).has_value());
  CHECK(other->rows("annotation", "id", from_hex(*id))->front().text("body").empty());
  CHECK(other->text("annotation", from_hex(*id), "body").empty());
  CHECK_FALSE(contains(*other->save(), "coast"));
  for (auto& env : p.srv.log) CHECK_FALSE(contains(env, "MARKER-NOTE"));

  // One representation: a register write of a note's body is refused, and a
  // keyless read of it gives only open characters (none here).
  auto reg = tablet->commit({set("annotation", from_hex(*id), "body", std::string("overwritten"))}, t0 + 7);
  CHECK(reg.err().message == "annotation.body is long text: write it with text edits");
  CHECK(tablet->text("annotation", from_hex(*id), "body").empty());
  CHECK(wf::edit_annotation(*other, *id, "taken over", "panel", "", t0 + 7).err().message == "only the author edits an annotation");

  // Shared with the panel while the phone, offline, types privately: the
  // panel reads the shared words; the phone's private words stay the author's.
  REQUIRE(wf::edit_annotation(*tablet, *id, merged, "panel", "", t0 + 8).ok());
  REQUIRE(wf::edit_annotation(*phone, *id, merged + " MARKER-LATE", "private", "", t0 + 8).ok());
  for (auto* r : {tablet.get(), phone.get(), other.get(), tablet.get()}) CHECK(p.srv.sync(*r).empty());
  CHECK(body_on(*other) == merged);
  CHECK(body_on(*tablet) == merged + " MARKER-LATE");
  CHECK(body_on(*phone) == merged + " MARKER-LATE");
  CHECK_FALSE(contains(*other->save(), "MARKER-LATE"));

  // Private again: typed anew under the author's key; the panel's copy of
  // the shared words stays in its history (PROTOCOL.md), but nothing later.
  REQUIRE(wf::edit_annotation(*tablet, *id, "MARKER-SECRET after sharing", "private", "", t0 + 9).ok());
  for (auto* r : {tablet.get(), phone.get(), other.get()}) CHECK(p.srv.sync(*r).empty());
  CHECK_FALSE(body_on(*other).has_value());
  CHECK(body_on(*phone) == "MARKER-SECRET after sharing");
  CHECK_FALSE(contains(*other->save(), "MARKER-SECRET"));
  CHECK(tablet->digest() == other->digest());
}

TEST_CASE("keyring: the founder's private note is sealed before its own keyring records come back") {
  auto clerk = device();
  auto me = packline::workflow::found_panel(*clerk, "Dana Whitfield", "clerk", t0);
  REQUIRE_MESSAGE(me.ok(), me.err().message);
  CHECK(clerk->is_admin());
  bytes meeting = new_row_id(), pack = new_row_id(), item = new_row_id(), block = new_row_id();
  REQUIRE(clerk->commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                         set("pack", pack, "meeting", meeting), set("pack_item", item, "meeting", meeting),
                         set("pack_item", item, "pack", pack), set("pack_item", item, "number", std::string("5")),
                         set("block", block, "pack", pack), set("block", block, "item", item),
                         set("block", block, "position", std::int64_t{1}),
                         set("block", block, "text", std::string("The force answered 87 per cent of 999 calls."))},
                        t0 + 1).ok());
  packline::workflow::annotation_draft d;
  d.block = to_hex(block);
  d.start = 4;
  d.end = 20;
  d.kind = "note";
  d.body = "MARKER-FOUNDER-PRIVATE";
  d.visibility = "private";
  auto id = packline::workflow::annotate(*clerk, d, t0 + 2);
  REQUIRE_MESSAGE(id.ok(), id.err().message);
  auto rows = clerk->rows("annotation", "id", from_hex(*id));
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().text("body").empty());
  CHECK(replica::is_private(*rows->front().get("quote")));
  CHECK_FALSE(contains(*clerk->save(), "MARKER-FOUNDER"));
  REQUIRE(packline::workflow::sign_in(*clerk, *me).ok());
  CHECK(packline::workflow::annotation_by_id(*clerk, *id)->body == "MARKER-FOUNDER-PRIVATE");
}

TEST_CASE("keyring: the founder applies its own records when the server acknowledges them") {
  mini_server srv;
  auto clerk = device();
  bytes me = new_row_id();
  REQUIRE(clerk->found_space(srv.space, me, "clerk", t0).ok());
  CHECK_FALSE(clerk->secured());  // nothing stored yet: the server has not ordered the records
  REQUIRE(srv.push(*clerk).ok());  // acks only, no pull
  CHECK(clerk->cursor() == 0);
  CHECK(clerk->secured());
  CHECK(clerk->keyring().epoch() == 1);
  REQUIRE(clerk->keyring().device(clerk->device_id()));
  CHECK(clerk->keyring().device(clerk->device_id())->role == "clerk");
  // A record acked while something stored before it is unknown here waits
  // for the pull (records apply in server order): a join by another device.
  auto code = clerk->create_invite(new_row_id(), "member", t0);
  REQUIRE(code.ok());
  REQUIRE(srv.push(*clerk).ok());
  auto bob = device();
  REQUIRE(bob->redeem_invite(*code, t0).ok());
  REQUIRE(srv.push(*bob).ok());
  CHECK(bob->joining());  // its join is stored, but the records before it are not here
  REQUIRE(clerk->set_lease(keyring::default_lease_ms / 2, t0 + 1).ok());
  REQUIRE(srv.push(*clerk).ok());
  CHECK(clerk->keyring().lease_ms() == keyring::default_lease_ms);  // the join (stored before) is not here yet
  auto got = srv.pull(*clerk);
  REQUIRE(got.ok());
  CHECK(got->empty());  // the records that come back are duplicates, not refusals
  CHECK(clerk->keyring().lease_ms() == keyring::default_lease_ms / 2);
  CHECK(clerk->keyring().device(bob->device_id()));
  // Reopened, the keyring is the same.
  auto image = clerk->save();
  REQUIRE(image.ok());
  auto again = replica::open(*image);
  REQUIRE(again.ok());
  CHECK((*again)->secured());
  CHECK((*again)->keyring().lease_ms() == keyring::default_lease_ms / 2);
}

TEST_CASE("keyring: a removed member's change counts if the server stored it before the removal") {
  panel p;
  auto alice = p.join("member");
  bytes before = new_row_id(), after = new_row_id(), meeting = new_row_id();
  REQUIRE(alice->commit({set("question", before, "author", alice->my_member()),
                         set("question", before, "meeting", meeting),
                         set("question", before, "target", std::string("MARKER-STORED-BEFORE"))}, t0 + 10).ok());
  CHECK(p.srv.sync(*alice).empty());
  REQUIRE(p.clerk->remove_member(alice->my_member(), t0 + 20).ok());
  p.srv.sync(*p.clerk);
  // A server that failed to refuse her stores one more change after the removal.
  REQUIRE(alice->commit({set("question", after, "author", alice->my_member()),
                         set("question", after, "meeting", meeting),
                         set("question", after, "target", std::string("MARKER-STORED-AFTER"))}, t0 + 30).ok());
  for (auto& raw : alice->pending(10)) p.srv.log.push_back(raw);
  // Bob joins after the removal: his invite carries epoch 2, so Alice's
  // changes (epoch 1) are held until the clerk grants him epoch 1, by which
  // time his keyring already has her removed.
  auto bob = p.join("member", {}, 1);  // the change stored after the removal is refused
  CHECK(bob->write_epoch() == 2);
  CHECK(bob->keyring().member_removed(alice->my_member()));
  auto q = bob->rows("question", "id", before);
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK(q->front().text("target") == "MARKER-STORED-BEFORE");
  CHECK(bob->rows("question", "id", after)->empty());
  // The clerk, which applied them in server order, agrees.
  CHECK(p.clerk->rows("question", "id", before)->size() == 1);
  CHECK(p.clerk->rows("question", "id", after)->empty());
}

TEST_CASE("keyring: a member's read mark reaches their other device only; others hold ciphertext and cannot write it") {
  panel p;
  REQUIRE(packline::workflow::sign_in(*p.clerk, to_hex(p.clerk_member)).ok());
  bytes meeting = new_row_id(), pack = new_row_id();
  REQUIRE(p.clerk->commit({set("meeting", meeting, "title", std::string("Panel")), set("meeting", meeting, "pack", pack),
                           set("pack", pack, "meeting", meeting), set("pack", pack, "version", std::int64_t{1})}, t0).ok());
  p.srv.sync(*p.clerk);
  auto tablet = p.join("member");
  bytes m = tablet->my_member();
  auto laptop = p.join("member", m);
  auto other = p.join("member");
  for (replica* r : {tablet.get(), laptop.get()}) REQUIRE(packline::workflow::sign_in(*r, to_hex(m)).ok());
  REQUIRE(packline::workflow::sign_in(*other, to_hex(other->my_member())).ok());
  p.srv.sync(*tablet);  // the laptop's member key
  p.srv.sync(*laptop);
  REQUIRE(packline::workflow::mark_read(*tablet, to_hex(pack), t0 + 5).ok());
  CHECK(p.srv.sync(*tablet).empty());
  CHECK(p.srv.sync(*laptop).empty());
  CHECK(p.srv.sync(*other).empty());
  auto there = packline::workflow::changed_since_read(*laptop, to_hex(meeting));
  REQUIRE(there.ok());
  CHECK(there->read_pack == to_hex(pack));
  CHECK(there->read_version == 1);
  auto rows = other->rows("reading", "member", m);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const value* v = rows->front().get("pack");
  REQUIRE(v);
  CHECK(replica::is_private(*v));
  CHECK_FALSE(contains(std::get<bytes>(*v), to_hex(pack)));
  // Another member's write to that row is refused on every replica.
  REQUIRE(other->commit({set("reading", rows->front().id, "read_at", std::int64_t{1})}, t0 + 6).ok());
  p.srv.sync(*other);
  auto refused = p.srv.sync(*laptop);
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find("only the member records what they have read") != std::string::npos);
}

TEST_CASE("keyring: a delayed change is judged with the role its device had where the server stored it") {
  panel p;
  bytes vc_member = new_row_id();
  REQUIRE(p.clerk->commit({set("member", vc_member, "name", std::string("Cllr Vice")), set("member", vc_member, "role", std::string("vice_chair"))}, t0).ok());
  auto vc = p.join("vice_chair", vc_member);
  auto other = p.join("member");
  bytes cq = new_row_id();
  REQUIRE(vc->commit({set("consolidated_question", cq, "section", std::string("Q1 as consolidated"))}, t0).ok());
  CHECK(p.srv.sync(*vc).empty());
  // Afterwards the vice-chair steps down, and a removal moves the panel to epoch 2.
  REQUIRE(p.clerk->set_member_role(vc_member, "member", t0).ok());
  REQUIRE(p.clerk->remove_member(other->my_member(), t0).ok());
  p.srv.sync(*p.clerk);
  CHECK(p.clerk->rows("consolidated_question", "id", cq)->size() == 1);  // judged in order: a vice-chair's edit

  // A new tablet gets epoch 2 with its invite and epoch 1 only later: the
  // edit waits for its key and is judged after the role record applied.
  auto fresh = p.join("member");
  CHECK(fresh->rows("consolidated_question", "id", cq)->size() == 1);
}

TEST_CASE("keyring: a device that joined while the admin rotated offline waits, asks once, and gets the new key") {
  panel p;
  auto alice = p.join("member");
  bytes carol_member = new_row_id();
  auto code = p.clerk->create_invite(carol_member, "member", t0);
  REQUIRE(code.ok());
  p.srv.sync(*p.clerk);
  // The clerk removes Alice offline; Carol joins meanwhile (the epoch before).
  REQUIRE(p.clerk->remove_member(alice->my_member(), t0 + 1000).ok());
  auto carol = device();
  REQUIRE(carol->redeem_invite(*code, t0).ok());
  p.srv.sync(*carol);
  REQUIRE_FALSE(carol->joining());
  CHECK(carol->write_epoch() == 1);
  CHECK_FALSE(carol->waiting_for_key());
  // The rotation is stored after the join; its grants do not name Carol.
  REQUIRE(p.srv.push(*p.clerk).ok());
  CHECK(p.srv.kr.epoch() == 2);
  CHECK_FALSE(p.srv.kr.has_key(carol->device_id(), 2));
  REQUIRE(p.srv.pull(*carol).ok());
  CHECK(carol->waiting_for_key());
  // Her change waits on the tablet; she asks once.
  bytes q = new_row_id();
  REQUIRE(carol->commit({set("question", q, "author", carol_member), set("question", q, "status", std::string("draft"))},
                        t0 + 2000).ok());
  REQUIRE(carol->tend_keys(t0 + 2000).ok());
  REQUIRE(carol->tend_keys(t0 + 2001).ok());
  auto out = carol->pending(100);
  CHECK(out.size() == 1);  // the key request only: the change is under the superseded epoch
  REQUIRE(p.srv.push(*carol).ok());
  REQUIRE(carol->tend_keys(t0 + 3000).ok());
  CHECK(carol->pending(100).empty());
  // The clerk's device applies its rotation in server order and grants.
  p.srv.sync(*p.clerk);
  CHECK(p.srv.kr.has_key(carol->device_id(), 2));
  p.srv.sync(*carol);
  CHECK_FALSE(carol->waiting_for_key());
  CHECK(carol->write_epoch() == 2);
  CHECK(carol->pending_count() == 0);  // re-sealed under epoch 2 and stored
  // A key request names the sender and an epoch the panel has.
  keyring::record ask;
  ask.k = keyring::kind::key_request;
  ask.device = carol->device_id();
  ask.epoch = 3;
  envelope e;
  e.space = p.srv.space;
  e.seq = 500;
  e.epoch = keyring::record_epoch;
  e.payload = codec::encode_keyring(ask);
  keyring::state copy = p.srv.kr;
  {
    auto k = crypto::signing_key::generate();
    crypto::sign_envelope(e, k);
    CHECK(keyring::admit(copy, p.srv.space, e, false, t0).err().code == errc::not_member);
  }
}

// The clerk's tablets desk (tablets.hpp) on this file's in-process panel.
namespace {
const tablets::member* member_named(const tablets::overview& o, const bytes& id) {
  for (auto& m : o.members)
    if (m.id == to_hex(id)) return &m;
  return nullptr;
}
const tablets::invite* invite_of(const tablets::overview& o, const bytes& member) {
  for (auto& i : o.invites)
    if (i.member == to_hex(member)) return &i;
  return nullptr;
}
}  // namespace

TEST_CASE("tablets: the admin device lists tablets with their last change, and invites open, used, expired or cancelled") {
  panel p;
  auto alice = p.join("member");
  bytes a = alice->my_member();
  bytes q = new_row_id();
  REQUIRE(alice->commit({set("question", q, "author", a), set("question", q, "target", std::string("PCC"))}, t0 + 50'000).ok());
  p.srv.sync(*alice);
  p.srv.sync(*p.clerk);
  auto add = [&](const char* name) {
    bytes m = new_row_id();
    REQUIRE(p.clerk->commit({set("member", m, "name", std::string(name)), set("member", m, "role", std::string("member"))}, t0).ok());
    return m;
  };
  bytes waiting = add("Cllr Waiting"), late = add("Cllr Late"), gone = add("Cllr Gone");
  REQUIRE(p.clerk->create_invite(waiting, "member", t0, 86'400'000).ok());
  REQUIRE(p.clerk->create_invite(late, "member", t0, 60'000).ok());
  REQUIRE(p.clerk->create_invite(gone, "member", t0, 86'400'000).ok());
  REQUIRE(tablets::remove_member(*p.clerk, to_hex(gone), t0 + 1000).ok());
  // Before the server has them, this tablet's invites and removal show as pending.
  auto unsent = tablets::list(*p.clerk, t0 + 1000);
  REQUIRE(unsent.ok());
  REQUIRE(invite_of(*unsent, waiting));
  CHECK(invite_of(*unsent, waiting)->status == "open");
  CHECK(invite_of(*unsent, waiting)->pending);
  CHECK(invite_of(*unsent, gone)->status == "cancelled");
  CHECK(member_named(*unsent, gone)->pending);
  p.srv.sync(*p.clerk);

  auto o = tablets::list(*p.clerk, t0 + 120'000);
  REQUIRE_MESSAGE(o.ok(), o.err().message);
  auto* clerk = member_named(*o, p.clerk_member);
  REQUIRE(clerk);
  REQUIRE(clerk->tablets.size() == 1);
  CHECK(clerk->tablets[0].this_tablet);
  CHECK(clerk->tablets[0].joined_ms == 0);  // enrolled when it founded the panel
  auto* am = member_named(*o, a);
  REQUIRE(am);
  REQUIRE(am->tablets.size() == 1);
  CHECK(am->tablets[0].device == to_hex(alice->device_id()));
  CHECK(am->tablets[0].status == "active");
  CHECK(am->tablets[0].joined_ms == t0);
  CHECK(am->tablets[0].last_change_ms == t0 + 50'000);
  CHECK_FALSE(am->tablets[0].this_tablet);
  CHECK(member_named(*o, gone)->removed);
  REQUIRE(invite_of(*o, a));
  CHECK(invite_of(*o, a)->status == "used");
  CHECK(invite_of(*o, a)->device == to_hex(alice->device_id()));
  CHECK(invite_of(*o, a)->used_ms == t0);
  CHECK(invite_of(*o, waiting)->status == "open");
  CHECK_FALSE(invite_of(*o, waiting)->pending);
  CHECK_FALSE(member_named(*o, gone)->pending);
  CHECK(invite_of(*o, waiting)->name == "Cllr Waiting");
  CHECK(invite_of(*o, late)->status == "expired");
  CHECK(invite_of(*o, gone)->status == "cancelled");
  // A tablet whose clock runs ahead is never "seen" in the future.
  CHECK(member_named(*tablets::list(*p.clerk, t0 + 10'000), a)->tablets[0].last_change_ms == t0 + 10'000);
  // Activity is the managing tablet's to see: another member's is refused.
  CHECK(tablets::list(*alice, t0 + 120'000).err().code == errc::forbidden);
}

TEST_CASE("tablets: revoking and removing refuse this tablet, unknown ids and repeats; the panel moves on without them") {
  panel p;
  auto alice = p.join("member");
  auto bob = p.join("member");
  bytes b = bob->my_member();
  CHECK(tablets::revoke(*p.clerk, to_hex(p.clerk->device_id()), t0).err().code == errc::invalid_argument);
  CHECK(tablets::remove_member(*p.clerk, to_hex(p.clerk_member), t0).err().code == errc::invalid_argument);
  CHECK(tablets::revoke(*p.clerk, to_hex(crypto::random_bytes(32)), t0).err().code == errc::not_found);
  CHECK(tablets::revoke(*p.clerk, "not hex", t0).err().code == errc::not_found);
  CHECK(tablets::remove_member(*p.clerk, to_hex(new_row_id()), t0).err().code == errc::not_found);
  CHECK(tablets::revoke(*alice, to_hex(bob->device_id()), t0).err().code == errc::forbidden);
  CHECK(tablets::remove_member(*alice, to_hex(b), t0).err().code == errc::forbidden);
  CHECK(p.clerk->write_epoch() == 1);  // nothing refused above changed the panel

  REQUIRE(tablets::revoke(*p.clerk, to_hex(alice->device_id()), t0 + 1000).ok());
  CHECK(tablets::revoke(*p.clerk, to_hex(alice->device_id()), t0 + 1000).err().code == errc::bad_state);
  REQUIRE(tablets::remove_member(*p.clerk, to_hex(b), t0 + 2000).ok());
  CHECK(tablets::remove_member(*p.clerk, to_hex(b), t0 + 2000).err().code == errc::bad_state);
  auto unsent = tablets::list(*p.clerk, t0 + 2500);
  REQUIRE(unsent.ok());
  CHECK(member_named(*unsent, alice->my_member())->tablets[0].status == "revoked");
  CHECK(member_named(*unsent, alice->my_member())->tablets[0].pending);
  CHECK(member_named(*unsent, b)->removed);
  CHECK(member_named(*unsent, b)->tablets[0].status == "removed");
  CHECK(member_named(*unsent, b)->tablets[0].pending);
  p.srv.sync(*p.clerk);
  CHECK(p.clerk->write_epoch() == 3);  // one new epoch each
  CHECK(p.srv.pull(*alice).err().code == errc::revoked);
  CHECK(p.srv.pull(*bob).err().code == errc::revoked);

  auto o = tablets::list(*p.clerk, t0 + 3000);
  REQUIRE(o.ok());
  CHECK(member_named(*o, alice->my_member())->tablets[0].status == "revoked");
  CHECK_FALSE(member_named(*o, alice->my_member())->tablets[0].pending);
  CHECK_FALSE(member_named(*o, alice->my_member())->removed);
  CHECK(member_named(*o, b)->tablets[0].status == "removed");
  CHECK(member_named(*o, b)->removed);
}

TEST_CASE("keyring: a change sealed in a copy of the replica is adopted here, sent, and read on another tablet") {
  panel p;
  auto member = p.join("member");
  REQUIRE(packline::workflow::sign_in(*p.clerk, to_hex(p.clerk_member)).ok());
  // The publish worker's copy of the clerk's replica writes a meeting, sealed under the panel's key.
  auto image = p.clerk->save();
  REQUIRE(image.ok());
  auto copy = replica::open(*image);
  REQUIRE(copy.ok());
  std::uint64_t from = (*copy)->next_seq();
  bytes meeting = new_row_id();
  REQUIRE((*copy)->commit({set("meeting", meeting, "title", std::string("MARKER-ADOPTED-MEETING"))}, t0 + 5).ok());
  auto made = (*copy)->own_changes_from(from);
  REQUIRE(made.ok());
  REQUIRE(made->size() == 1);
  CHECK_FALSE(contains(made->front(), "MARKER-ADOPTED"));  // sealed in the copy
  REQUIRE(p.clerk->adopt_own(made->front(), t0 + 6).ok());
  CHECK(title_of(*p.clerk, meeting) == "MARKER-ADOPTED-MEETING");
  CHECK(p.clerk->pending_count() == 1);
  CHECK(p.srv.sync(*p.clerk).empty());
  CHECK(p.clerk->pending_count() == 0);
  CHECK(p.srv.sync(*member).empty());
  CHECK(title_of(*member, meeting) == "MARKER-ADOPTED-MEETING");
  // The member cannot pass its own change off as the clerk's, nor the clerk adopt a member's.
  bytes q = new_row_id();
  auto mimage = member->save();
  REQUIRE(mimage.ok());
  auto mcopy = replica::open(*mimage);
  REQUIRE(mcopy.ok());
  std::uint64_t mfrom = (*mcopy)->next_seq();
  REQUIRE((*mcopy)->commit({set("question", q, "author", member->my_member()), set("question", q, "status", std::string("draft"))}, t0 + 7).ok());
  auto mmade = (*mcopy)->own_changes_from(mfrom);
  REQUIRE(mmade.ok());
  CHECK(p.clerk->adopt_own(mmade->front(), t0 + 8).err().code == errc::bad_state);
  CHECK(p.clerk->rows("question", "id", q)->empty());
}
