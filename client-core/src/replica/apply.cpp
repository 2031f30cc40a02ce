// Changes into the replica: committing local ones, applying remote ones in
// batches (one storage transaction or savepoint each), the causal queue of
// changes waiting for their predecessors, and refused changes kept aside.
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

result<void> replica::begin_batch() {
  PL_TRY(db_->begin());
  cache_->marks.push_back({++cache_->serial, cache_->changes});
  return {};
}

// Nested batches are savepoints. One that fails before changing any cached
// row (a change refused for its content) fails alone; one that fails after
// (storage) can only be undone with the whole batch, from the journal.
result<void> replica::end_batch(result<void> outcome) {
  auto& c = *cache_;
  std::uint64_t changes_before = c.marks.back().changes;
  c.marks.pop_back();
  bool outermost = c.marks.empty();
  if (outcome && outermost && c.broken) outcome = make_error(errc::storage, "replica storage: a batch could not be completed");
  if (outcome) outcome = db_->commit();
  else db_->rollback();
  if (!outcome) docs_.clear();  // text docs may hold part of what failed
  if (!outermost) {
    if (!outcome && c.changes != changes_before) c.broken = true;
    return outcome;
  }
  if (!outcome) {  // the tables are as they were before the batch: so is memory
    for (std::size_t i = c.journal.size(); i > 0; --i) {
      auto& j = c.journal[i - 1];
      if (j.kind == row_cache::saved::row) {
        c.rows.insert_or_assign(j.key, c.saved_rows[j.slot]);
        continue;
      }
      auto it = c.rows.find(j.key);  // (rows leave the cache only here while a batch is open)
      if (it == c.rows.end()) {
        continue;
      } else if (j.kind == row_cache::saved::clean) {
        c.forget(it->second);
        c.rows.erase(it);
      } else if (j.kind == row_cache::saved::reg) {
        it->second.regs[j.index] = c.saved_regs[j.slot];
      } else {
        it->second.regs.pop_back();
      }
    }
    c.dirty.clear();  // it may name rows just dropped
    for (auto& [k, w] : c.rows)
      if (w.dirty) c.dirty.push_back(&w);
    c.last = nullptr;
    (void)load_counters();  // a commit undone gives its sequence number again
    space_.clear();
    prefixes_.clear();
  }
  c.journal.clear();
  c.rows_used = c.regs_used = 0;
  c.broken = false;
  if (outcome && c.rows.size() > limits::row_cache_rows && !c.flushing) (void)flush_rows();  // a failure leaves them dirty
  return outcome;
}

// Text edits first: they are the only ops whose content can fail to apply,
// so a change that fails on its content leaves the rows untouched and fails
// alone inside a batch. Then the registers, then the texts' columns.
result<void> replica::apply_ops(change_body& body, const bytes& actor) {
  for (const op& o : body.ops)
    if (o.row.size() != 16 || o.field == "id" || o.field[0] == '_' || o.table.empty() || o.field.empty())
      return make_error(errc::malformed, "an operation names an invalid row or field");
  std::vector<const op*> texts;  // text fields touched, stored once at the end
  std::uint64_t writer = writer_of(actor);
  for (op& o : body.ops)  // an older build's private note: its sealed body as a whole (see upgrade_v11_notes)
    if (o.kind == op_kind::set && o.table == "annotation" && o.field == "body" && std::holds_alternative<bytes>(o.val))
      o.field = "sealed_body";
  for (const op& o : body.ops) {
    bool text_field = long_text(o.table, o.field);
    if (o.kind == op_kind::set && !text_field) continue;
    if (o.kind == op_kind::set) {
      PL_TRY(text_from_register(o, body.hlc, writer));
    } else {
      if (!text_field) return make_error(errc::malformed, "a text edit names a field that is not long text");
      auto d = doc(o.table, o.row, o.field);
      if (!d) return d.err();
      auto r = (*d)->apply(o.text);
      if (!r) return make_error(errc::malformed, "a text edit does not fit its text: " + r.err().message);
    }
    bool seen = false;
    for (const op* t : texts) seen = seen || (t->table == o.table && t->row == o.row && t->field == o.field);
    if (!seen) texts.push_back(&o);
  }
  for (std::size_t i = 0; i < body.ops.size(); ++i) {
    op& o = body.ops[i];
    if (o.kind != op_kind::set || long_text(o.table, o.field)) continue;
    const std::string* t = materialised(o.table, o.field);
    if (!t) {
      PL_TRY(set_unknown(o, body.hlc, bytes_of(writer)));
      continue;
    }
    auto w = work_for(*t, o.row);
    if (!w) return w.err();
    if ((*w)->regs.capacity() == 0) {  // a new row: room for the fields this change sets in a run
      std::size_t run = 1;
      while (i + run < body.ops.size() && body.ops[i + run].row == o.row && body.ops[i + run].table == o.table) ++run;
      (*w)->regs.reserve(run);
    }
    PL_TRY(set_field(**w, o, body.hlc, writer));
  }
  for (const op* t : texts) PL_TRY(store_doc(t->table, t->row, t->field));
  return {};
}

result<std::vector<change_ref>> replica::heads() {
  std::vector<change_ref> out;
  auto s = db_->prepare("SELECT actor, seq FROM heads ORDER BY actor, seq");
  if (!s) return s.err();
  PL_TRY(each_row(*s, [&](stmt& st) { out.push_back({st.column_blob(0), static_cast<std::uint64_t>(st.column_int(1))}); }));
  return out;
}

result<std::uint64_t> replica::commit(std::vector<op> ops, std::uint64_t now_ms) {
  if (ops.empty()) return make_error(errc::invalid_argument, "a change needs at least one operation");
  bytes sp = space();
  if (sp.empty()) return make_error(errc::bad_state, "this device has not joined a panel yet");
  for (op& o : ops) {
    if ((o.kind == op_kind::set) == long_text(o.table, o.field))
      return make_error(errc::invalid_argument, o.kind == op_kind::set
                                                    ? o.table + "." + o.field + " is long text: write it with text edits"
                                                    : o.table + "." + o.field + " is not long text: write it as a value");
    if (o.kind != op_kind::set) continue;
    auto p = current_writes(o);
    if (!p) return p.err();
    o.pred = std::move(*p);
  }
  auto deps = heads();
  if (!deps) return deps.err();
  change_body body{clock_.tick(now_ms), std::move(ops), std::move(*deps)};
  body.keyring = keyring().length();  // what this device has seen of the panel's keyring (0: open panel)
  envelope e;
  e.space = sp;
  e.seq = next_seq_;
  PL_TRY(seal_change(e, codec::encode_body(body, key_.public_key())));  // sealed under the epoch's key
  bytes env = codec::encode_envelope(e);
  if (env.size() > limits::max_envelope_bytes) return make_error(errc::too_large, "this change is too large to send");
  PL_TRY(batch([&]() -> result<void> {
    auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,NULL)");
    if (!ins) return ins.err();
    PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
               .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind_ref(5, env).run());  // (env outlives the run)
    PL_TRY(apply_ops(body, e.actor));
    PL_TRY(db_->exec("DELETE FROM heads"));
    auto h = db_->prepare("INSERT INTO heads(actor, seq) VALUES(?1, ?2)");
    if (!h) return h.err();
    PL_TRY((*h)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run());
    return meta_set(*db_, "text_counter", static_cast<std::int64_t>(text_counter_));
  }));
  note_applied(e.actor, e.seq);
  return next_seq_++;
}

result<std::vector<bytes>> replica::own_changes_from(std::uint64_t seq) {
  auto s = db_->prepare("SELECT envelope FROM change_log WHERE actor = ?1 AND seq >= ?2 ORDER BY seq");
  if (!s) return s.err();
  (*s)->bind(1, device_id()).bind(2, static_cast<std::int64_t>(seq));
  std::vector<bytes> out;
  PL_TRY(each_row(*s, [&](stmt& st) { out.push_back(st.column_blob(0)); }));
  return out;
}

result<void> replica::adopt_own(const bytes& envelope_bytes, std::uint64_t now_ms) {
  auto e = codec::decode_envelope(envelope_bytes);
  if (!e) return e.err();
  if (e->actor != device_id() || e->space != space() || e->seq != next_seq_ || e->epoch == keyring::record_epoch)
    return make_error(errc::bad_state, "that change is not this tablet's next change");
  PL_TRY(crypto::verify_envelope(*e));
  auto body = open_change(*e);
  if (!body) return body.err();
  if (missing_dep(e->actor, e->seq, *body))
    return make_error(errc::bad_state, "that change depends on one this tablet does not have");
  // Its characters' ids are this device's: typing here goes on after them.
  std::uint64_t counter = text_counter_;
  for (const op& o : body->ops)
    if (o.kind == op_kind::text_insert && (o.text.id.actor.empty() || o.text.id.actor == e->actor))
      counter = std::max<std::uint64_t>(counter, (o.text.id.seq & counter_mask) + utf8_to_u32(o.text.content).size());
  PL_TRY(check_remote(*e, *body));  // the panel's rules, as for any change (refused here: nothing is kept)
  PL_TRY(apply_change(*e, envelope_bytes, *body, 0, now_ms, true));  // pending, as commit() logs it
  ++next_seq_;
  if (counter != text_counter_) {
    text_counter_ = counter;
    PL_TRY(meta_set(*db_, "text_counter", static_cast<std::int64_t>(text_counter_)));
  }
  return {};
}

// Every change of `actor` up to the returned seq is known (applied, or
// covered by our snapshot): worked out once per actor from the tables, then
// moved on as its next changes apply (note_applied). Known changes are never
// removed, except by a failed batch, which forgets these prefixes.
std::uint64_t& replica::known_prefix(const bytes& actor) {
  auto it = prefixes_.find(actor);
  if (it != prefixes_.end()) return it->second;
  std::uint64_t f = 0;
  auto cov = db_->prepare("SELECT seq FROM covered WHERE actor = ?1");
  if (cov) {
    auto r = (*cov)->bind(1, actor).step();
    if (r && *r) f = static_cast<std::uint64_t>((*cov)->column_int(0));
    (*cov)->reset();
  }
  auto later = db_->prepare("SELECT seq FROM change_log WHERE actor = ?1 AND seq > ?2 ORDER BY seq");
  if (later) {
    (*later)->bind(1, actor).bind(2, static_cast<std::int64_t>(f));
    bool gap = false;
    (void)each_row(*later, [&](stmt& st) {
      if (!gap && static_cast<std::uint64_t>(st.column_int(0)) == f + 1) ++f;
      else gap = true;
    });
  }
  return prefixes_.emplace(actor, f).first->second;
}

void replica::note_applied(const bytes& actor, std::uint64_t seq) {
  std::uint64_t& f = known_prefix(actor);
  if (f + 1 == seq) f = seq;
}

result<replica::log_entry> replica::in_log(const bytes& actor, std::uint64_t seq) {
  auto s = db_->prepare("SELECT server_seq IS NULL FROM change_log WHERE actor = ?1 AND seq = ?2");
  if (!s) return s.err();
  auto r = (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).step();
  if (!r) return r.err();
  log_entry out{*r, *r && (*s)->column_int(0) != 0};
  (*s)->reset();
  return out;
}

bool replica::applied(const bytes& actor, std::uint64_t seq) {
  if (seq <= known_prefix(actor)) return true;
  auto s = db_->prepare("SELECT 1 FROM change_log WHERE actor=?1 AND seq=?2 UNION ALL SELECT 1 FROM covered WHERE actor=?1 AND seq>=?2");
  if (!s) return false;
  auto r = (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).step();
  bool yes = r && *r;
  (*s)->reset();
  return yes;
}

std::optional<change_ref> replica::missing_dep(const bytes& actor, std::uint64_t seq, const change_body& body) {
  if (seq > 1 && !applied(actor, seq - 1)) return change_ref{actor, seq - 1};
  for (const change_ref& d : body.deps)
    if (!applied(d.actor, d.seq)) return d;
  return std::nullopt;
}

result<void> replica::apply_change(const envelope& e, const bytes& env_bytes, change_body& body, std::uint64_t server_seq,
                                   std::uint64_t now_ms, bool own) {
  clock_.observe(body.hlc, now_ms);  // never a reason to refuse: see "How replicas converge"
  if (auto ok = check_remote(e, body); !ok) {  // the panel's rules: known, ops not applied
    PL_TRY(record_refused(e, env_bytes, server_seq));
    return ok.err();
  }
  PL_TRY(batch([&]() -> result<void> {
    auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,?6)");
    auto del_head = db_->prepare("DELETE FROM heads WHERE actor=?1 AND seq=?2");
    auto add_head = db_->prepare("INSERT OR IGNORE INTO heads(actor, seq) VALUES(?1, ?2)");
    if (!ins) return ins.err();
    if (!del_head) return del_head.err();
    if (!add_head) return add_head.err();
    (*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
        .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind_ref(5, env_bytes);
    if (own) (*ins)->bind_null(6);  // this device's own change, not yet on the server (adopt_own)
    else (*ins)->bind(6, static_cast<std::int64_t>(server_seq));
    PL_TRY((*ins)->run());
    PL_TRY(apply_ops(body, e.actor));
    for (const change_ref& d : body.deps) PL_TRY((*del_head)->bind(1, d.actor).bind(2, static_cast<std::int64_t>(d.seq)).run());
    PL_TRY((*del_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq - 1)).run());
    return (*add_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run();
  }));
  note_applied(e.actor, e.seq);
  return {};
}

// Wakes the changes waiting for (actor, seq), and transitively those waiting
// for them. Each waiting change names one missing predecessor; when that one
// arrives it is re-checked and either applied or parked on the next one.
result<void> replica::drain_waiting(const bytes& actor, std::uint64_t seq, std::uint64_t now_ms) {
  std::vector<change_ref> arrived{{actor, seq}};
  auto sel = db_->prepare("SELECT actor, seq, envelope, server_seq FROM waiting WHERE need_actor=?1 AND need_seq=?2");
  auto rm = db_->prepare("DELETE FROM waiting WHERE actor=?1 AND seq=?2");
  auto park = db_->prepare("UPDATE waiting SET need_actor=?3, need_seq=?4 WHERE actor=?1 AND seq=?2");
  if (!sel) return sel.err();
  if (!rm) return rm.err();
  if (!park) return park.err();
  while (!arrived.empty()) {
    change_ref c = std::move(arrived.back());
    arrived.pop_back();
    struct held { bytes actor; std::uint64_t seq; bytes env; std::uint64_t server_seq; };
    std::vector<held> woken;
    (*sel)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq));
    PL_TRY(each_row(*sel, [&](stmt& st) {
      woken.push_back({st.column_blob(0), static_cast<std::uint64_t>(st.column_int(1)), st.column_blob(2),
                       static_cast<std::uint64_t>(st.column_int(3))});
    }));
    for (auto& h : woken) {
      auto e = codec::decode_envelope(h.env);
      auto body = e ? open_change(*e) : result<change_body>(e.err());
      result<void> done = body ? result<void>{} : result<void>(body.err());
      if (e && body) {
        if (auto need = missing_dep(h.actor, h.seq, *body)) {
          PL_TRY((*park)->bind(1, h.actor).bind(2, static_cast<std::int64_t>(h.seq)).bind(3, need->actor)
                     .bind(4, static_cast<std::int64_t>(need->seq)).run());
          continue;
        }
        done = apply_change(*e, h.env, *body, h.server_seq, now_ms);
        if (done || applied(h.actor, h.seq)) arrived.push_back({h.actor, h.seq});
      }
      // A held change that fails now (e.g. its text edit does not fit) leaves
      // the waiting list, so it does not block the others, for the refused
      // list (tried again later unless the rules judged it).
      if (!done && done.err().code == errc::storage) return done.err();
      if (!done) PL_TRY(keep_refused(h.env, e ? &*e : nullptr, h.server_seq, done.err()));
      PL_TRY((*rm)->bind(1, h.actor).bind(2, static_cast<std::int64_t>(h.seq)).run());
    }
  }
  return {};
}

result<apply_status> replica::apply(const bytes& envelope_bytes, std::uint64_t server_seq, std::uint64_t now_ms) {
  auto e = codec::decode_envelope(envelope_bytes);
  if (!e) return kept_if_refused(envelope_bytes, nullptr, server_seq, e.err());
  if (auto v = crypto::verify_envelope(*e); !v) return kept_if_refused(envelope_bytes, &*e, server_seq, v.err());
  return kept_if_refused(envelope_bytes, &*e, server_seq, apply_verified(*e, envelope_bytes, server_seq, now_ms));
}

// ---- refused changes ----------------------------------------------------------
// The pull cursor moves past every change it was handed, so a change that is
// refused is kept (008_refused.sql) with its reason, and tried again; nothing
// is skipped for good. A storage failure is no refusal: the page is undone.

result<void> replica::keep_refused(const bytes& env_bytes, const envelope* e, std::uint64_t server_seq, const error& why) {
  auto s = db_->prepare("INSERT OR REPLACE INTO refused(actor, seq, server_seq, reason, envelope) VALUES(?1,?2,?3,?4,?5)");
  if (!s) return s.err();
  // An envelope that does not even decode is named by its place on the server
  // (an empty actor binds as NULL).
  bytes actor = e ? e->actor : bytes{};
  auto seq = static_cast<std::int64_t>(e ? e->seq : server_seq);
  std::string reason = why.message.empty() ? errc_message(why.code) : why.message;
  return (*s)->bind(1, actor).bind(2, seq).bind(3, static_cast<std::int64_t>(server_seq)).bind(4, std::string_view(reason))
      .bind(5, env_bytes).run();
}

result<apply_status> replica::kept_if_refused(const bytes& env_bytes, const envelope* e, std::uint64_t server_seq,
                                              result<apply_status> outcome) {
  if (!outcome && outcome.err().code != errc::storage) PL_TRY(keep_refused(env_bytes, e, server_seq, outcome.err()));
  return outcome;
}

result<std::vector<replica::refused_change>> replica::refused_changes() {
  std::vector<refused_change> out;
  auto s = db_->prepare("SELECT r.server_seq, r.actor, r.seq, r.reason, c.seq IS NOT NULL FROM refused r "
                        "LEFT JOIN change_log c ON c.actor = r.actor AND c.seq = r.seq ORDER BY r.server_seq, r.actor, r.seq");
  if (!s) return s.err();
  PL_TRY(each_row(*s, [&](stmt& st) {
    out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_blob(1), static_cast<std::uint64_t>(st.column_int(2)),
                   st.column_text(3), st.column_int(4) != 0});
  }));
  return out;
}

result<std::size_t> replica::retry_refused(std::uint64_t now_ms) {
  auto list = refused_changes();
  if (!list) return list.err();
  std::size_t applied_now = 0;
  auto done = batch([&]() -> result<void> {
    auto env = db_->prepare("SELECT envelope FROM refused WHERE actor IS ?1 AND seq = ?2");
    auto del = db_->prepare("DELETE FROM refused WHERE actor IS ?1 AND seq = ?2");
    if (!env) return env.err();
    if (!del) return del.err();
    for (auto& c : *list) {
      if (c.final) continue;
      auto r = (*env)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).step();
      if (!r) return r.err();
      bytes b = *r ? (*env)->column_blob(0) : bytes{};
      (*env)->reset();
      PL_TRY((*del)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run());
      auto a = apply(b, c.server_seq, now_ms);  // kept again when refused again
      if (!a && a.err().code == errc::storage) return a.err();
      if (a) ++applied_now;
    }
    return {};
  });
  if (!done) return done.err();
  return applied_now;
}

result<std::vector<result<apply_status>>> replica::apply_page(const std::vector<page_change>& page, std::uint64_t now_ms) {
  std::vector<result<envelope>> es;
  es.reserve(page.size());
  std::vector<const envelope*> decoded;
  for (auto& c : page) {
    es.push_back(codec::decode_envelope(*c.envelope));
    if (es.back()) decoded.push_back(&*es.back());
  }
  crypto::envelope_checks signed_ok(std::move(decoded));  // checked ahead while earlier ones apply
  std::vector<result<apply_status>> out;
  out.reserve(page.size());
  auto done = batch([&]() -> result<void> {
    std::size_t k = 0;
    for (std::size_t i = 0; i < page.size(); ++i) {
      const bytes& env = *page[i].envelope;
      const envelope* e = es[i] ? &*es[i] : nullptr;
      auto a = [&]() -> result<apply_status> {
        if (!e) return es[i].err();
        if (!signed_ok.ok(k++)) PL_TRY(crypto::verify_envelope(*e));  // again, for its error (rare)
        return apply_verified(*e, env, page[i].server_seq, now_ms);
      }();
      a = kept_if_refused(env, e, page[i].server_seq, std::move(a));
      if (!a && a.err().code == errc::storage) return a.err();
      out.push_back(std::move(a));
    }
    return {};
  });
  if (!done) return done.err();
  return out;
}

result<apply_status> replica::apply_verified(const envelope& e, const bytes& envelope_bytes, std::uint64_t server_seq,
                                             std::uint64_t now_ms) {
  if (e.space != space()) return make_error(errc::wrong_space);
  if (e.epoch == keyring::record_epoch) return apply_record(e, envelope_bytes, server_seq, now_ms);
  auto logged = in_log(e.actor, e.seq);
  if (!logged) return logged.err();
  bool exists = logged->exists, unacked = logged->unacked;
  if (exists) {
    if (unacked) PL_TRY(acked(e.actor, e.seq, server_seq));
    return apply_status::duplicate;
  }
  // Covered by the snapshot this replica started from, if the server stored
  // it up to the snapshot's cursor: a snapshot cannot cover a change stored
  // after it, whatever its covered list claims, so such a change applies.
  if (applied(e.actor, e.seq) && server_seq <= snapshot_cursor()) return apply_status::duplicate;
  judge_at(e, server_seq);
  auto body = open_change(e);  // checks member device and epoch, then opens
  if (!body) {
    if (body.err().code == errc::no_key) {  // its epoch's key is on its way: keep it
      PL_TRY(hold_sealed(e, envelope_bytes, server_seq));
      return apply_status::waiting;
    }
    // Authentic (signed) but unusable in a secured panel: known, never applied.
    if (secured()) PL_TRY(record_refused(e, envelope_bytes, server_seq));
    return body.err();
  }
  if (auto need = missing_dep(e.actor, e.seq, *body)) {
    auto w = db_->prepare("INSERT OR IGNORE INTO waiting(actor, seq, envelope, server_seq, need_actor, need_seq) VALUES(?1,?2,?3,?4,?5,?6)");
    if (!w) return w.err();
    PL_TRY((*w)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind_ref(3, envelope_bytes)
               .bind(4, static_cast<std::int64_t>(server_seq)).bind(5, need->actor).bind(6, static_cast<std::int64_t>(need->seq)).run());
    return apply_status::waiting;
  }
  auto done = apply_change(e, envelope_bytes, *body, server_seq, now_ms);
  if (!done && !applied(e.actor, e.seq)) return done.err();
  PL_TRY(drain_waiting(e.actor, e.seq, now_ms));
  if (!done) return done.err();  // refused by the rules, recorded as known
  return apply_status::applied;
}

std::size_t replica::waiting_count() {
  auto s = db_->prepare("SELECT COUNT(*) FROM waiting");
  if (!s) return 0;
  auto r = (*s)->step();
  std::size_t n = r && *r ? static_cast<std::size_t>((*s)->column_int(0)) : 0;
  (*s)->reset();
  return n;
}

result<std::vector<conflict>> replica::conflicts(const std::string& table, const bytes& row) {
  auto t = columns_.find(table);
  if (t == columns_.end()) return make_error(errc::not_found, "no table " + table);
  PL_TRY(flush_rows());
  std::vector<conflict> out;
  PL_TRY(each_register_row(*db_, table, row, [&](const bytes& id, std::vector<field_reg>& regs, std::map<std::string, value>& vals) {
    for (auto& f : regs) {
      if (f.kept.empty()) continue;
      conflict c{id, f.field, vals[f.field], {}};
      // Concurrent writes of the same value are no disagreement to show.
      for (auto& k : f.kept)
        if (k.val != c.winner) c.others.push_back(std::move(k.val));
      if (!c.others.empty()) out.push_back(std::move(c));
    }
  }));
  return out;
}

}  // namespace packline
