// Replica snapshots: the whole state of a space as one image (a new device
// starts from it), and the sealed, signed snapshot blobs the server keeps.
#include "packline/replica/replica.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

#include "packline/base/limits.hpp"
#include "packline/wire/codec.hpp"
#include "replica/db.hpp"
#include "replica/replica_keys.hpp"
#include "replica/store.hpp"

namespace packline {
using namespace detail;

result<bytes> replica::snapshot() {
  PL_TRY(flush_rows());
  replica_snapshot s;
  s.space = space();
  s.cursor = cursor();
  auto cov = db_->prepare("SELECT actor, MAX(seq) FROM (SELECT actor, seq FROM change_log UNION ALL SELECT actor, seq FROM covered) "
                          "GROUP BY actor ORDER BY actor");
  if (!cov) return cov.err();
  PL_TRY(each_row(*cov, [&](stmt& st) { s.covered.push_back({st.column_blob(0), static_cast<std::uint64_t>(st.column_int(1))}); }));
  auto h = heads();
  if (!h) return h.err();
  s.heads = std::move(*h);
  for (auto& entry : columns_) {
    const std::string& table = entry.first;  // named: lambdas cannot capture bindings (clang 14)
    PL_TRY(each_register_row(*db_, table, {}, [&](const bytes& id, std::vector<field_reg>& regs, std::map<std::string, value>& vals) {
      for (auto& f : regs) {
        s.regs.push_back({table, id, f.field, {f.writer, f.hlc}, vals[f.field]});
        for (auto& k : f.kept) s.regs.push_back({table, id, f.field, {k.writer, k.hlc}, k.val});
      }
    }));
  }
  auto regs = db_->prepare("SELECT tbl, row, field, actor, hlc_wall, hlc_counter, value FROM reg ORDER BY tbl, row, field");
  if (!regs) return regs.err();
  PL_TRY(each_row(*regs, [&](stmt& st) {
    s.regs.push_back({st.column_text(0), st.column_blob(1), st.column_text(2),
                      {writer_of(st.column_blob(3)), {static_cast<std::uint64_t>(st.column_int(4)), static_cast<std::uint32_t>(st.column_int(5))}},
                      st.column(6)});
  }));
  auto texts = db_->prepare("SELECT tbl, row, field, doc FROM text_state ORDER BY tbl, row, field");
  if (!texts) return texts.err();
  PL_TRY(each_row(*texts, [&](stmt& st) { s.texts.push_back({st.column_text(0), st.column_blob(1), st.column_text(2), st.column_blob(3)}); }));
  return codec::encode_snapshot(s);
}

result<std::unique_ptr<replica>> replica::from_snapshot(const bytes& device_seed, const bytes& snapshot_bytes) {
  auto r = create(device_seed);
  if (!r) return r.err();
  PL_TRY((*r)->load_snapshot(snapshot_bytes));
  return r;
}

result<void> replica::load_snapshot(const bytes& snapshot_bytes) {
  auto snap = codec::decode_snapshot(snapshot_bytes);
  if (!snap) return snap.err();
  // Checked before anything is written, so a refused snapshot leaves the
  // replica exactly as it was.
  // A secured panel's new device holds its keyring (start_from_blob) first.
  if (!holds_no_data()) return make_error(errc::bad_state, "a snapshot only starts an empty replica");
  bytes sp = space();
  if (snap->space.size() != 16 || (!sp.empty() && sp != snap->space))
    return make_error(errc::wrong_space, "the snapshot is of another panel");
  std::vector<std::string> texts;
  texts.reserve(snap->texts.size());
  for (auto& t : snap->texts) {
    auto d = text_doc::decode(t.doc);
    if (!d) return make_error(errc::malformed, "a snapshot holds a damaged text");
    texts.push_back(d->text());
  }
  PL_TRY(batch([&]() -> result<void> {
    PL_TRY(meta_set(*db_, "space", snap->space));
    auto cov = db_->prepare("INSERT OR REPLACE INTO covered(actor, seq) VALUES(?1, ?2)");
    auto head = db_->prepare("INSERT OR IGNORE INTO heads(actor, seq) VALUES(?1, ?2)");
    // (A snapshot of an older replica may also hold a register write of the
    // field, made into text above: the text is what the field holds.)
    auto put = db_->prepare("INSERT OR REPLACE INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4)");
    if (!cov) return cov.err();
    if (!head) return head.err();
    if (!put) return put.err();
    for (auto& c : snap->covered) PL_TRY((*cov)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run());
    for (auto& c : snap->heads) PL_TRY((*head)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run());
    for (auto& e : snap->regs) {
      // Each kept write, applied with no pred, rebuilds the same winner and
      // conflicts as on the replica that made the snapshot.
      change_body one{e.write.hlc, {op{op_kind::set, e.table, e.row, e.field, std::move(e.val), {}, {}}}, {}};
      PL_TRY(apply_ops(one, bytes_of(e.write.writer)));
    }
    for (std::size_t i = 0; i < snap->texts.size(); ++i) {
      auto& t = snap->texts[i];
      PL_TRY((*put)->bind(1, std::string_view(t.table)).bind(2, t.row).bind(3, std::string_view(t.field)).bind(4, t.doc).run());
      docs_.erase(doc_key(t.table, t.row, t.field));
      PL_TRY(materialise(t.table, t.row, t.field, texts[i]));
    }
    PL_TRY(meta_set(*db_, "snapshot_cursor", static_cast<std::int64_t>(snap->cursor)));
    return set_cursor(snap->cursor);
  }));
  // The clock stays this device's own (its join): the snapshot's stamps are
  // not adopted, as a remote change's are not when far ahead (hlc.hpp); a
  // later write supersedes what it saw by its pred, whatever the stamps.
  return {};
}

// ---- snapshot blobs (protocol v3) ---------------------------------------------

void replica::judge_at(const envelope& e, std::uint64_t server_seq) {
  // (actor, seq) has one server_seq, so a stale value is never wrong.
  keys_->judging = keys::judged{e.actor, e.seq, server_seq};
}

bool replica::holds_no_data() {
  if (cursor() != 0 || waiting_count() != 0) return false;
  auto held = mlist(*db_, k_nokey);
  if (!held || !held->empty()) return false;
  auto s = db_->prepare("SELECT envelope FROM change_log");
  if (!s) return false;
  bool only_records = true;
  for (;;) {
    auto r = (*s)->step();
    if (!r || !*r) {
      only_records = only_records && r.ok();
      break;
    }
    auto e = codec::decode_envelope((*s)->column_blob(0));
    if (!e || e->epoch != keyring::record_epoch) {
      only_records = false;
      break;
    }
  }
  (*s)->reset();
  return only_records;
}

bool replica::can_snapshot() {
  if (!settle_acked() || keys_->locked || joining()) return false;
  auto held = mlist(*db_, k_nokey);
  if (!held || !held->empty()) return false;  // the image would miss a change below the cursor
  if (keys_->kr.secured()) {
    // A new tablet believes a snapshot whole, so only the clerk's devices
    // publish one (start_from_blob refuses any other signer).
    const auto* me = keys_->kr.device(device_id());
    return me && me->role == publisher_role && keys_->epochs.count(keys_->kr.epoch()) > 0;
  }
  return write_epoch() == 0;  // a founder before its genesis is stored holds a key but is not secured yet
}

result<bytes> replica::snapshot_blob() {
  if (!can_snapshot()) return make_error(errc::bad_state, "this device cannot make a snapshot of the panel now");
  auto image = snapshot();
  if (!image) return image.err();
  if (image->size() > limits::max_replica_snapshot_bytes)
    return make_error(errc::too_large, "the panel's snapshot is larger than max_replica_snapshot_bytes");
  packline::snapshot_blob b;
  b.space = space();
  b.cursor = cursor();
  const crypto::secret* key = nullptr;
  if (keys_->kr.secured()) {
    b.epoch = keys_->kr.epoch();
    key = &keys_->epochs.at(b.epoch);
  }
  auto sealed = crypto::seal_snapshot(b, *image, key, key_);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  return codec::encode_snapshot_blob(b);
}

result<std::uint64_t> replica::start_from_blob(const bytes& blob_bytes, const std::vector<proto::stored_change>& records,
                                               std::uint64_t now_ms) {
  auto blob = codec::decode_snapshot_blob(blob_bytes);
  if (!blob) return make_error(errc::malformed, "the snapshot is damaged or of an older format (" + blob.err().message + ")");
  PL_TRY(crypto::verify_snapshot(*blob));
  bytes sp = space();
  if (!sp.empty() && blob->space != sp) return make_error(errc::wrong_space, "the snapshot is of another panel");
  if (blob->cursor == 0) return make_error(errc::malformed, "the snapshot names no cursor");
  if (keys_->log_size != 0 || !holds_no_data()) return make_error(errc::bad_state, "a snapshot only starts an empty replica");

  // The keyring as of the snapshot's cursor, in memory: nothing is applied
  // to this replica before the snapshot has passed every check.
  keyring::state kr;
  std::vector<const proto::stored_change*> upto;
  std::vector<keyring::record> later;
  std::uint64_t prev = 0;
  for (auto& c : records) {
    auto e = codec::decode_envelope(c.envelope);
    if (!e || c.server_seq <= prev || e->space != blob->space || e->epoch != keyring::record_epoch || !crypto::verify_envelope(*e))
      return make_error(errc::malformed, "the server's keyring records are damaged or out of order");
    prev = c.server_seq;
    auto rec = codec::decode_keyring(e->payload);
    if (!rec) return make_error(errc::malformed, "the server's keyring records are damaged");
    if (c.server_seq <= blob->cursor) {
      // One that does not apply is skipped, as apply_record does in server order.
      (void)kr.apply(blob->space, *rec, e->actor, e->seq, c.server_seq == 1);
      upto.push_back(&c);
    } else if (kr.secured() && crypto::verify(kr.admin_pk(), keyring::signed_bytes(blob->space, *rec), rec->sig)) {
      later.push_back(std::move(*rec));  // only its keys are used; it applies in the tail pull
    }
  }
  auto invite = meta_get(*db_, k_invite);
  bool invited = invite && as_bytes(*invite);
  if (kr.secured()) {
    std::string signer = "device " + to_hex(bytes(blob->device.begin(), blob->device.begin() + 4));
    const auto* d = kr.device(blob->device);
    if (!d || d->revoked) return refused("the snapshot is signed by " + signer + ", which was not a device of the panel at the snapshot's cursor");
    if (d->role != publisher_role)
      return refused("the snapshot is signed by " + signer + ", a " + d->role + "'s; only the clerk's devices publish snapshots");
    // A snapshot is trusted whole, so not from a device taken out since
    // (a lost tablet may have uploaded before it was revoked).
    for (auto& rec : later)
      if ((rec.k == keyring::kind::revoke && rec.device == blob->device) || (rec.k == keyring::kind::remove && rec.member == d->member))
        return refused("the snapshot is signed by " + signer + ", which has since been removed from the panel");
    if (blob->epoch == 0 || blob->epoch > kr.epoch())
      return refused("the snapshot is sealed under epoch " + std::to_string(blob->epoch) + ", but the panel was at epoch " +
                     std::to_string(kr.epoch()) + " at its cursor");
  } else if (blob->epoch != 0 || invited) {
    return refused("a snapshot of a secured panel came without the panel's keyring");
  }

  // The epoch's key: held already, or sealed to this device (or its invite)
  // in a keyring record.
  std::map<std::uint32_t, crypto::secret> found;
  for (auto* c : upto) {
    auto e = codec::decode_envelope(c->envelope);
    auto rec = codec::decode_keyring(e->payload);
    if (rec && kr.applied(e->actor, e->seq))
      for (auto& [ep, key] : keys_for_me(*rec)) found.try_emplace(ep, std::move(key));
  }
  for (auto& rec : later)
    for (auto& [ep, key] : keys_for_me(rec)) found.try_emplace(ep, std::move(key));
  bytes image;
  if (blob->epoch == 0) {
    image = std::move(blob->body);
  } else {
    const crypto::secret* key = nullptr;
    if (auto k = keys_->epochs.find(blob->epoch); k != keys_->epochs.end()) key = &k->second;
    else if (auto f = found.find(blob->epoch); f != found.end()) key = &f->second;
    if (!key)
      return make_error(errc::no_key, "this device has not been given the key of epoch " + std::to_string(blob->epoch) +
                                          " (the snapshot's) yet");
    auto opened = crypto::open_snapshot(*blob, *key);
    if (!opened) return make_error(errc::crypto, "the snapshot does not open with the key of its epoch");
    image = std::move(*opened);
  }
  crypto::secret wipe_image;  // the image holds the panel's plaintext: wiped on the way out
  {
    auto snap = codec::decode_snapshot(image);
    if (!snap) return make_error(errc::malformed, "the snapshot is damaged (" + snap.err().message + ")");
    if (snap->space != blob->space || snap->cursor != blob->cursor)
      return make_error(errc::malformed, "the snapshot's image does not match its signed header");
  }

  // Passed: the keyring up to the cursor (in server order, through apply as
  // a pull would), then the image, then the keys of later records. Only a
  // storage failure or an image whose texts do not decode (a faulty uploader)
  // can still refuse it here; the device then pulls from 0 with the keyring
  // up to the cursor already applied (changes of removed devices are judged
  // by their server_seq, roles as the keyring has them: see check_remote).
  // Records before the image: our own join among them applies in server
  // order, before the cursor moves past it (settle_acked).
  if (sp.empty()) PL_TRY(set_space(blob->space));
  for (auto* c : upto) {
    auto a = apply(c->envelope, c->server_seq, now_ms);
    if (!a && a.err().code == errc::storage) return a.err();
  }
  auto loaded = load_snapshot(image);
  wipe_image = crypto::secret(std::move(image));
  if (!loaded) return loaded.err();
  for (auto& [ep, key] : found)
    if (!keys_->epochs.count(ep)) PL_TRY(store_epoch_key(ep, key));
  return blob->cursor;
}

}  // namespace packline
