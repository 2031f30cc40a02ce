// The replica: change log, registers, text CRDTs and materialised tables in
// SQLite (schema/replica). Applying is idempotent and commutative: a change is
// known by (actor, seq) and applied only after its causal predecessors; each
// field keeps every write not superseded by a later one (its `pred`), and the
// greatest (hlc, actor) is materialised; so every delivery order ends in the
// same state.
#include "packline/replica.hpp"

#include <algorithm>
#include <set>

#include "db.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "replica_keys.hpp"
#include "replica_migrations.hpp"

namespace packline {
namespace {

const std::set<std::string> system_tables = {"meta", "change_log", "reg", "text_state", "waiting", "covered", "heads"};

// Identifiers come from the schema itself (table_info), never from input,
// before they are spliced into SQL.
result<std::map<std::string, std::set<std::string>>> load_columns(db& d) {
  std::map<std::string, std::set<std::string>> out;
  auto s = d.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'");
  if (!s) return s.err();
  std::vector<std::string> tables;
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    tables.push_back((*s)->column_text(0));
  }
  (*s)->reset();
  for (auto& t : tables) {
    if (system_tables.count(t)) continue;
    auto c = d.prepare("SELECT name FROM pragma_table_info(?1)");
    if (!c) return c.err();
    (*c)->bind(1, std::string_view(t));
    for (;;) {
      auto r = (*c)->step();
      if (!r) return r.err();
      if (!*r) break;
      out[t].insert((*c)->column_text(0));
    }
    (*c)->reset();
  }
  return out;
}

result<void> migrate(db& d) {
  auto s = d.prepare("PRAGMA user_version");
  if (!s) return s.err();
  auto r = (*s)->step();
  if (!r) return r.err();
  std::int64_t have = (*s)->column_int(0);
  (*s)->reset();
  std::int64_t want = static_cast<std::int64_t>(std::size(replica_migrations));
  if (have > want)
    return make_error(errc::corrupt_replica, "this replica was written by a newer version of Packline");
  for (std::int64_t v = have; v < want; ++v) {
    transaction tx(d);
    PL_TRY(d.exec(replica_migrations[v]));
    PL_TRY(d.exec("PRAGMA user_version = " + std::to_string(v + 1)));
    PL_TRY(tx.commit());
  }
  return {};
}

// Meta values are stored as SQLite values; these read them with a default.
result<value> meta_get(db& d, std::string_view key) {
  auto s = d.prepare("SELECT value FROM meta WHERE key = ?1");
  if (!s) return s.err();
  (*s)->bind(1, key);
  auto r = (*s)->step();
  if (!r) return r.err();
  value v = *r ? (*s)->column(0) : value{};
  (*s)->reset();
  return v;
}

result<void> meta_set(db& d, std::string_view key, const value& v) {
  auto s = d.prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!s) return s.err();
  return (*s)->bind(1, key).bind(2, v).run();
}

std::int64_t as_int(const value& v) { return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0; }

std::string doc_key(const std::string& table, const bytes& row, const std::string& field) {
  return table + '\x1f' + std::string(row.begin(), row.end()) + '\x1f' + field;
}

// Runs a statement to completion, collecting each row with `f`.
template <class F>
result<void> each_row(stmt* s, F&& f) {
  for (;;) {
    auto r = s->step();
    if (!r) return r.err();
    if (!*r) break;
    f(*s);
  }
  s->reset();
  return {};
}

}  // namespace

const value* row::get(std::string_view f) const {
  for (auto& [k, v] : fields)
    if (k == f) return &v;
  return nullptr;
}

std::string row::text(std::string_view f) const {
  const value* v = get(f);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

bytes new_row_id() { return crypto::random_bytes(16); }

replica::replica(std::unique_ptr<db> d, crypto::signing_key k) : db_(std::move(d)), key_(std::move(k)) {}
replica::~replica() = default;

result<std::unique_ptr<replica>> replica::create(const bytes& device_seed) {
  PL_TRY(crypto::init());
  auto key = crypto::signing_key::from_seed(device_seed);
  if (!key) return key.err();
  auto d = db::open_memory();
  if (!d) return d.err();
  PL_TRY(migrate(**d));
  PL_TRY(meta_set(**d, "device_seed", device_seed));
  std::unique_ptr<replica> r(new replica(std::move(*d), std::move(*key)));
  PL_TRY(r->load_state());
  return r;
}

result<std::unique_ptr<replica>> replica::open(const bytes& image) {
  PL_TRY(crypto::init());
  auto d = db::deserialize(image);
  if (!d) return d.err();
  PL_TRY(migrate(**d));
  auto seed = meta_get(**d, "device_seed");
  if (!seed) return seed.err();
  if (!std::holds_alternative<bytes>(*seed))
    return make_error(errc::corrupt_replica, "the stored replica has no device key");
  auto key = crypto::signing_key::from_seed(std::get<bytes>(*seed));
  if (!key) return make_error(errc::corrupt_replica, "the stored replica's device key is damaged");
  std::unique_ptr<replica> r(new replica(std::move(*d), std::move(*key)));
  PL_TRY(r->load_state());
  return r;
}

result<void> replica::load_state() {
  auto cols = load_columns(*db_);
  if (!cols) return cols.err();
  columns_ = std::move(*cols);
  auto s = db_->prepare("SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE actor = ?1");
  if (!s) return s.err();
  (*s)->bind(1, device_id());
  auto r = (*s)->step();
  if (!r) return r.err();
  next_seq_ = static_cast<std::uint64_t>((*s)->column_int(0)) + 1;
  (*s)->reset();
  auto h = db_->prepare("SELECT hlc_wall, hlc_counter FROM change_log ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1");
  if (!h) return h.err();
  auto hr = (*h)->step();
  if (!hr) return hr.err();
  if (*hr)
    clock_ = hlc_clock({static_cast<std::uint64_t>((*h)->column_int(0)), static_cast<std::uint32_t>((*h)->column_int(1))});
  (*h)->reset();
  auto tc = meta_get(*db_, "text_counter");
  if (!tc) return tc.err();
  text_counter_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(as_int(*tc)));
  return load_keys();  // keyring and keys (issue 4, replica_keys.cpp)
}

result<bytes> replica::save() { return db_->serialize(); }

bytes replica::space() {
  auto v = meta_get(*db_, "space");
  return v && std::holds_alternative<bytes>(*v) ? std::get<bytes>(*v) : bytes{};
}

result<void> replica::set_space(const bytes& space16) {
  if (space16.size() != 16) return make_error(errc::invalid_argument, "a space id is 16 bytes");
  bytes cur = space();
  if (!cur.empty() && cur != space16)
    return make_error(errc::wrong_space, "this device already belongs to another panel");
  return meta_set(*db_, "space", space16);
}

std::string replica::setting(const std::string& key) {
  auto v = meta_get(*db_, "setting:" + key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

result<void> replica::set_setting(const std::string& key, const std::string& v) {
  return meta_set(*db_, "setting:" + key, v);
}

result<void> replica::materialise(const std::string& table, const bytes& row, const std::string& field, const value& v) {
  auto t = columns_.find(table);
  if (t == columns_.end() || !t->second.count(field)) return {};  // kept in reg/text_state for a later schema
  auto up = db_->prepare("INSERT INTO \"" + table + "\"(id, \"" + field + "\") VALUES(?1, ?2) ON CONFLICT(id) DO UPDATE SET \"" +
                         field + "\" = excluded.\"" + field + "\"");
  if (!up) return up.err();
  return (*up)->bind(1, row).bind(2, v).run();
}

result<void> replica::apply_set(const op& o, const hlc_timestamp& hlc, const bytes& actor) {
  auto del = db_->prepare("DELETE FROM reg WHERE tbl=?1 AND row=?2 AND field=?3 AND hlc_wall=?4 AND hlc_counter=?5 AND actor=?6");
  auto ins = db_->prepare("INSERT OR IGNORE INTO reg(tbl, row, field, hlc_wall, hlc_counter, actor, value) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  auto top = db_->prepare("SELECT hlc_wall, hlc_counter, actor FROM reg WHERE tbl=?1 AND row=?2 AND field=?3 "
                          "ORDER BY hlc_wall DESC, hlc_counter DESC, actor DESC LIMIT 1");
  if (!del) return del.err();
  if (!ins) return ins.err();
  if (!top) return top.err();
  auto key = [&](stmt* s) -> stmt& { return s->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field)); };
  for (const reg_ref& p : o.pred)
    PL_TRY(key(*del).bind(4, static_cast<std::int64_t>(p.hlc.wall_ms)).bind(5, static_cast<std::int64_t>(p.hlc.counter)).bind(6, p.actor).run());
  PL_TRY(key(*ins).bind(4, static_cast<std::int64_t>(hlc.wall_ms)).bind(5, static_cast<std::int64_t>(hlc.counter)).bind(6, actor)
             .bind(7, o.val).run());
  // Materialise only when this write is the winner; otherwise the winner
  // (already materialised) stays and this one is a conflict.
  auto r = key(*top).step();
  if (!r) return r.err();
  bool wins = *r && static_cast<std::uint64_t>((*top)->column_int(0)) == hlc.wall_ms &&
              static_cast<std::uint32_t>((*top)->column_int(1)) == hlc.counter && (*top)->column_blob(2) == actor;
  bool pred_removed_winner = !o.pred.empty();
  (*top)->reset();
  if (wins) return materialise(o.table, o.row, o.field, o.val);
  if (pred_removed_winner) {
    // The superseded write may have been the materialised one: re-read the winner.
    auto w = db_->prepare("SELECT value FROM reg WHERE tbl=?1 AND row=?2 AND field=?3 "
                          "ORDER BY hlc_wall DESC, hlc_counter DESC, actor DESC LIMIT 1");
    if (!w) return w.err();
    auto wr = key(*w).step();
    if (!wr) return wr.err();
    value v = *wr ? (*w)->column(0) : value{};
    (*w)->reset();
    return materialise(o.table, o.row, o.field, v);
  }
  return {};
}

result<text_doc*> replica::doc(const std::string& table, const bytes& row, const std::string& field) {
  std::string k = doc_key(table, row, field);
  auto it = docs_.find(k);
  if (it != docs_.end()) return &it->second;
  auto s = db_->prepare("SELECT doc FROM text_state WHERE tbl=?1 AND row=?2 AND field=?3");
  if (!s) return s.err();
  auto r = (*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).step();
  if (!r) return r.err();
  text_doc d;
  if (*r) {
    auto dec = text_doc::decode((*s)->column_blob(0));
    (*s)->reset();
    if (!dec) return make_error(errc::corrupt_replica, "a stored text is damaged");
    d = std::move(*dec);
  }
  (*s)->reset();
  return &docs_.emplace(std::move(k), std::move(d)).first->second;
}

result<void> replica::store_doc(const std::string& table, const bytes& row, const std::string& field) {
  auto d = doc(table, row, field);
  if (!d) return d.err();
  auto s = db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4) "
                        "ON CONFLICT(tbl, row, field) DO UPDATE SET doc = excluded.doc");
  if (!s) return s.err();
  PL_TRY((*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).bind(4, (*d)->encode()).run());
  return materialise(table, row, field, (*d)->text());
}

result<void> replica::apply_ops(const change_body& body, const bytes& actor) {
  std::vector<const op*> texts;  // text fields touched, stored once at the end
  for (const op& o : body.ops) {
    if (o.row.size() != 16 || o.field == "id" || o.table.empty() || o.field.empty())
      return make_error(errc::malformed, "an operation names an invalid row or field");
    if (o.kind == op_kind::set) {
      PL_TRY(apply_set(o, body.hlc, actor));
      continue;
    }
    auto d = doc(o.table, o.row, o.field);
    if (!d) return d.err();
    auto r = (*d)->apply(o.text);
    if (!r) return make_error(errc::malformed, "a text edit does not fit its text: " + r.err().message);
    bool seen = false;
    for (const op* t : texts) seen = seen || (t->table == o.table && t->row == o.row && t->field == o.field);
    if (!seen) texts.push_back(&o);
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
  auto preds = db_->prepare("SELECT actor, hlc_wall, hlc_counter FROM reg WHERE tbl=?1 AND row=?2 AND field=?3");
  if (!preds) return preds.err();
  for (op& o : ops) {
    if (o.kind != op_kind::set) continue;
    o.pred.clear();
    (*preds)->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field));
    PL_TRY(each_row(*preds, [&](stmt& st) {
      o.pred.push_back({st.column_blob(0), {static_cast<std::uint64_t>(st.column_int(1)), static_cast<std::uint32_t>(st.column_int(2))}});
    }));
  }
  auto deps = heads();
  if (!deps) return deps.err();
  change_body body{clock_.tick(now_ms), std::move(ops), std::move(*deps)};
  envelope e;
  e.space = sp;
  e.seq = next_seq_;
  PL_TRY(seal_change(e, codec::encode_body(body, key_.public_key())));  // sealed under the epoch's key (issue 4)
  bytes env = codec::encode_envelope(e);
  if (env.size() > limits::max_envelope_bytes) return make_error(errc::too_large, "this change is too large to send");
  transaction tx(*db_);
  auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,NULL)");
  if (!ins) return ins.err();
  PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
             .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind(5, env).run());
  if (auto r = apply_ops(body, e.actor); !r) {
    docs_.clear();  // text docs may hold part of the failed change
    return r.err();
  }
  PL_TRY(db_->exec("DELETE FROM heads"));
  auto h = db_->prepare("INSERT INTO heads(actor, seq) VALUES(?1, ?2)");
  if (!h) return h.err();
  PL_TRY((*h)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run());
  PL_TRY(meta_set(*db_, "text_counter", static_cast<std::int64_t>(text_counter_)));
  if (auto r = tx.commit(); !r) {
    docs_.clear();
    return r.err();
  }
  return next_seq_++;
}

result<std::uint64_t> replica::edit_text(const std::string& table, const bytes& row, const std::string& field, std::size_t pos,
                                         std::size_t del, const std::string& insert, std::uint64_t now_ms) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  auto d = doc(table, row, field);
  if (!d) return d.err();
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (del) add((*d)->remove(pos, del));
  if (!insert.empty()) add((*d)->insert(device_id(), text_counter_, pos, insert));
  if (ops.empty()) return make_error(errc::invalid_argument, "the edit changes nothing");
  return commit(std::move(ops), now_ms);
}

result<std::vector<op>> replica::text_ops(const std::string& table, const bytes& row, const std::string& field,
                                          const std::string& text) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  auto d = doc(table, row, field);
  if (!d) return d.err();
  std::u32string now = utf8_to_u32((*d)->text()), want = utf8_to_u32(text);
  std::size_t pre = 0;
  while (pre < now.size() && pre < want.size() && now[pre] == want[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < now.size() - pre && suf < want.size() - pre && now[now.size() - 1 - suf] == want[want.size() - 1 - suf]) ++suf;
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (now.size() - pre - suf) add((*d)->remove(pre, now.size() - pre - suf));
  if (want.size() - pre - suf) add((*d)->insert(device_id(), text_counter_, pre, u32_to_utf8(want.substr(pre, want.size() - pre - suf))));
  return ops;
}

result<std::uint64_t> replica::set_text(const std::string& table, const bytes& row, const std::string& field,
                                        const std::string& text, std::uint64_t now_ms) {
  auto ops = text_ops(table, row, field, text);
  if (!ops) return ops.err();
  if (ops->empty()) return make_error(errc::invalid_argument, "the text is unchanged");
  return commit(std::move(*ops), now_ms);
}

std::string replica::text(const std::string& table, const bytes& row, const std::string& field) {
  auto d = doc(table, row, field);
  return d ? (*d)->text() : std::string{};
}

bool replica::applied(const bytes& actor, std::uint64_t seq) {
  auto s = db_->prepare("SELECT 1 FROM change_log WHERE actor=?1 AND seq=?2 UNION ALL SELECT 1 FROM covered WHERE actor=?1 AND seq>=?2");
  if (!s) return false;
  auto r = (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).step();
  bool yes = r && *r;
  (*s)->reset();
  return yes;
}

result<bool> replica::deps_ready(const bytes& actor, std::uint64_t seq, const change_body& body) {
  if (seq > 1 && !applied(actor, seq - 1)) return false;
  for (const change_ref& d : body.deps)
    if (!applied(d.actor, d.seq)) return false;
  return true;
}

result<void> replica::apply_change(const envelope& e, const bytes& env_bytes, const change_body& body, std::uint64_t server_seq,
                                   std::uint64_t now_ms) {
  auto seen = clock_.observe(body.hlc, now_ms);
  if (!seen) return seen.err();
  if (auto ok = check_remote(e, body); !ok) {  // the panel's rules (issue 4): known, ops not applied
    PL_TRY(record_refused(e, env_bytes, server_seq));
    return ok.err();
  }
  transaction tx(*db_);
  auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,?6)");
  auto del_head = db_->prepare("DELETE FROM heads WHERE actor=?1 AND seq=?2");
  auto add_head = db_->prepare("INSERT OR IGNORE INTO heads(actor, seq) VALUES(?1, ?2)");
  if (!ins) return ins.err();
  if (!del_head) return del_head.err();
  if (!add_head) return add_head.err();
  PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
             .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind(5, env_bytes)
             .bind(6, static_cast<std::int64_t>(server_seq)).run());
  if (auto r = apply_ops(body, e.actor); !r) {
    docs_.clear();
    return r.err();
  }
  for (const change_ref& d : body.deps) PL_TRY((*del_head)->bind(1, d.actor).bind(2, static_cast<std::int64_t>(d.seq)).run());
  PL_TRY((*del_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq - 1)).run());
  PL_TRY((*add_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run());
  if (auto r = tx.commit(); !r) {
    docs_.clear();
    return r.err();
  }
  return {};
}

result<void> replica::drain_waiting(std::uint64_t now_ms) {
  for (bool progress = true; progress;) {
    progress = false;
    struct held { bytes actor; std::uint64_t seq; bytes env; std::uint64_t server_seq; };
    std::vector<held> all;
    auto s = db_->prepare("SELECT actor, seq, envelope, server_seq FROM waiting ORDER BY server_seq");
    if (!s) return s.err();
    PL_TRY(each_row(*s, [&](stmt& st) {
      all.push_back({st.column_blob(0), static_cast<std::uint64_t>(st.column_int(1)), st.column_blob(2), static_cast<std::uint64_t>(st.column_int(3))});
    }));
    auto rm = db_->prepare("DELETE FROM waiting WHERE actor=?1 AND seq=?2");
    if (!rm) return rm.err();
    for (auto& h : all) {
      auto e = codec::decode_envelope(h.env);
      auto body = e ? open_change(*e) : result<change_body>(e.err());
      bool drop = !e || !body;
      if (!drop) {
        auto ready = deps_ready(h.actor, h.seq, *body);
        if (!ready) return ready.err();
        if (!*ready) continue;
        // A held change that fails now (e.g. its text edit does not fit) is
        // dropped: it can never apply, and it must not block the others.
        // A refused change is recorded as known (issue 4): dropped here too.
        drop = !apply_change(*e, h.env, *body, h.server_seq, now_ms).ok();
        progress = true;
      }
      PL_TRY((*rm)->bind(1, h.actor).bind(2, static_cast<std::int64_t>(h.seq)).run());
    }
  }
  return {};
}

result<apply_status> replica::apply(const bytes& envelope_bytes, std::uint64_t server_seq, std::uint64_t now_ms) {
  auto e = codec::decode_envelope(envelope_bytes);
  if (!e) return e.err();
  PL_TRY(crypto::verify_envelope(*e));
  if (e->space != space()) return make_error(errc::wrong_space);
  if (e->epoch == keyring::record_epoch) return apply_record(*e, envelope_bytes, server_seq, now_ms);
  auto known = db_->prepare("SELECT server_seq IS NULL FROM change_log WHERE actor = ?1 AND seq = ?2");
  if (!known) return known.err();
  (*known)->bind(1, e->actor).bind(2, static_cast<std::int64_t>(e->seq));
  auto k = (*known)->step();
  if (!k) return k.err();
  bool exists = *k, unacked = exists && (*known)->column_int(0) != 0;
  (*known)->reset();
  if (exists) {
    if (unacked) PL_TRY(acked(e->actor, e->seq, server_seq));
    return apply_status::duplicate;
  }
  if (applied(e->actor, e->seq)) return apply_status::duplicate;  // covered by our snapshot
  auto body = open_change(*e);  // checks member device and epoch, then opens (issue 4)
  if (!body) {
    if (body.err().code == errc::no_key) {  // its epoch's key is on its way: keep it
      PL_TRY(hold_sealed(*e, envelope_bytes, server_seq));
      return apply_status::waiting;
    }
    // Authentic (signed) but unusable in a secured panel: known, never applied.
    if (secured()) PL_TRY(record_refused(*e, envelope_bytes, server_seq));
    return body.err();
  }
  auto ready = deps_ready(e->actor, e->seq, *body);
  if (!ready) return ready.err();
  if (!*ready) {
    if (body->hlc.wall_ms > now_ms + limits::max_clock_skew_ms)
      return make_error(errc::clock_skew, "a change is dated too far in the future; check that device's clock");
    auto w = db_->prepare("INSERT OR IGNORE INTO waiting(actor, seq, envelope, server_seq) VALUES(?1,?2,?3,?4)");
    if (!w) return w.err();
    PL_TRY((*w)->bind(1, e->actor).bind(2, static_cast<std::int64_t>(e->seq)).bind(3, envelope_bytes)
               .bind(4, static_cast<std::int64_t>(server_seq)).run());
    return apply_status::waiting;
  }
  auto done = apply_change(*e, envelope_bytes, *body, server_seq, now_ms);
  if (!done && !applied(e->actor, e->seq)) return done.err();
  PL_TRY(drain_waiting(now_ms));
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
  std::string sql =
      "SELECT row, field, value FROM reg WHERE tbl=?1" + std::string(row.empty() ? "" : " AND row=?2") +
      " AND (row, field) IN (SELECT row, field FROM reg WHERE tbl=?1 GROUP BY row, field HAVING COUNT(*) > 1)"
      " ORDER BY row, field, hlc_wall DESC, hlc_counter DESC, actor DESC";
  auto s = db_->prepare(sql);
  if (!s) return s.err();
  (*s)->bind(1, std::string_view(table));
  if (!row.empty()) (*s)->bind(2, row);
  std::vector<conflict> out;
  PL_TRY(each_row(*s, [&](stmt& st) {
    bytes r = st.column_blob(0);
    std::string f = st.column_text(1);
    if (out.empty() || out.back().row != r || out.back().field != f) out.push_back({r, f, st.column(2), {}});
    else out.back().others.push_back(st.column(2));
  }));
  return out;
}

result<bytes> replica::snapshot() {
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
  auto regs = db_->prepare("SELECT tbl, row, field, actor, hlc_wall, hlc_counter, value FROM reg ORDER BY tbl, row, field");
  if (!regs) return regs.err();
  PL_TRY(each_row(*regs, [&](stmt& st) {
    s.regs.push_back({st.column_text(0), st.column_blob(1), st.column_text(2),
                      {st.column_blob(3), {static_cast<std::uint64_t>(st.column_int(4)), static_cast<std::uint32_t>(st.column_int(5))}},
                      st.column(6)});
  }));
  auto texts = db_->prepare("SELECT tbl, row, field, doc FROM text_state ORDER BY tbl, row, field");
  if (!texts) return texts.err();
  PL_TRY(each_row(*texts, [&](stmt& st) { s.texts.push_back({st.column_text(0), st.column_blob(1), st.column_text(2), st.column_blob(3)}); }));
  return codec::encode_snapshot(s);
}

result<std::unique_ptr<replica>> replica::from_snapshot(const bytes& device_seed, const bytes& snapshot_bytes) {
  auto snap = codec::decode_snapshot(snapshot_bytes);
  if (!snap) return snap.err();
  auto r = create(device_seed);
  if (!r) return r.err();
  replica& rep = **r;
  PL_TRY(rep.set_space(snap->space));
  transaction tx(*rep.db_);
  auto cov = rep.db_->prepare("INSERT OR REPLACE INTO covered(actor, seq) VALUES(?1, ?2)");
  auto head = rep.db_->prepare("INSERT OR IGNORE INTO heads(actor, seq) VALUES(?1, ?2)");
  if (!cov) return cov.err();
  if (!head) return head.err();
  for (auto& c : snap->covered) PL_TRY((*cov)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run());
  for (auto& c : snap->heads) PL_TRY((*head)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run());
  hlc_timestamp latest;
  for (auto& e : snap->regs) {
    op o{op_kind::set, e.table, e.row, e.field, e.val, {}, {}};
    if (o.row.size() != 16 || o.field == "id") return make_error(errc::malformed, "a snapshot names an invalid row");
    PL_TRY(rep.apply_set(o, e.write.hlc, e.write.actor));
    latest = std::max(latest, e.write.hlc);
  }
  auto put = rep.db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4)");
  if (!put) return put.err();
  for (auto& t : snap->texts) {
    auto d = text_doc::decode(t.doc);
    if (!d) return make_error(errc::malformed, "a snapshot holds a damaged text");
    PL_TRY((*put)->bind(1, std::string_view(t.table)).bind(2, t.row).bind(3, std::string_view(t.field)).bind(4, t.doc).run());
    PL_TRY(rep.materialise(t.table, t.row, t.field, d->text()));
  }
  PL_TRY(rep.set_cursor(snap->cursor));
  PL_TRY(tx.commit());
  rep.clock_ = hlc_clock(latest);
  return r;
}

std::vector<bytes> replica::pending(std::size_t max) {
  std::vector<bytes> out;
  auto s = db_->prepare("SELECT envelope FROM change_log WHERE server_seq IS NULL ORDER BY seq LIMIT ?1");
  if (!s) return out;
  (*s)->bind(1, static_cast<std::int64_t>(max));
  for (;;) {
    auto r = (*s)->step();
    if (!r || !*r) break;
    out.push_back((*s)->column_blob(0));
  }
  (*s)->reset();
  return out;
}

std::size_t replica::pending_count() {
  auto s = db_->prepare("SELECT COUNT(*) FROM change_log WHERE server_seq IS NULL");
  if (!s) return 0;
  auto r = (*s)->step();
  std::size_t n = r && *r ? static_cast<std::size_t>((*s)->column_int(0)) : 0;
  (*s)->reset();
  return n;
}

result<void> replica::acked(const bytes& actor, std::uint64_t seq, std::uint64_t server_seq) {
  auto s = db_->prepare("UPDATE change_log SET server_seq = ?3 WHERE actor = ?1 AND seq = ?2 AND server_seq IS NULL");
  if (!s) return s.err();
  return (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).bind(3, static_cast<std::int64_t>(server_seq)).run();
}

std::uint64_t replica::cursor() {
  auto v = meta_get(*db_, "cursor");
  return v && std::holds_alternative<std::int64_t>(*v) ? static_cast<std::uint64_t>(std::get<std::int64_t>(*v)) : 0;
}

result<void> replica::set_cursor(std::uint64_t c) { return meta_set(*db_, "cursor", static_cast<std::int64_t>(c)); }

result<std::vector<row>> replica::rows(const std::string& table, const std::string& where_field, const value& equals,
                                      const std::string& order_by) {
  auto t = columns_.find(table);
  if (t == columns_.end()) return make_error(errc::not_found, "no table " + table);
  if ((!where_field.empty() && !t->second.count(where_field)) || (!order_by.empty() && !t->second.count(order_by)))
    return make_error(errc::invalid_argument, "no such field");
  std::string sql = "SELECT * FROM \"" + table + "\" WHERE deleted = 0";
  if (!where_field.empty()) sql += " AND \"" + where_field + "\" = ?1";
  sql += " ORDER BY ";
  if (!order_by.empty()) sql += "\"" + order_by + "\", ";
  sql += "id";
  auto s = db_->prepare(sql);
  if (!s) return s.err();
  if (!where_field.empty()) (*s)->bind(1, equals);
  std::vector<row> out;
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    row rw;
    for (int i = 0; i < (*s)->columns(); ++i) {
      std::string name = (*s)->column_name(i);
      if (name == "id") rw.id = (*s)->column_blob(i);
      else rw.fields.emplace_back(std::move(name), (*s)->column(i));
    }
    out.push_back(std::move(rw));
  }
  (*s)->reset();
  return out;
}

bytes replica::digest() {
  bytes acc;
  std::vector<std::pair<std::string, std::string>> tables;
  for (auto& [table, cols] : columns_) tables.emplace_back(table, "id");
  tables.emplace_back("reg", "tbl, row, field, hlc_wall, hlc_counter, actor");
  for (auto& [table, order] : tables) {
    append(acc, table);
    auto s = db_->prepare("SELECT * FROM \"" + table + "\" ORDER BY " + order);
    if (!s) continue;
    for (;;) {
      auto r = (*s)->step();
      if (!r || !*r) break;
      for (int i = 0; i < (*s)->columns(); ++i) {
        value v = (*s)->column(i);
        acc.push_back(static_cast<std::uint8_t>(v.index()));
        std::visit(
            [&](const auto& x) {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, std::int64_t>) append_be(acc, static_cast<std::uint64_t>(x), 8);
              else if constexpr (std::is_same_v<T, double>) append(acc, std::to_string(x));
              else if constexpr (std::is_same_v<T, std::string>) { append_be(acc, x.size(), 4); append(acc, x); }
              else if constexpr (std::is_same_v<T, bytes>) { append_be(acc, x.size(), 4); append(acc, x); }
            },
            v);
      }
    }
    (*s)->reset();
  }
  return crypto::sha256(acc);
}

}  // namespace packline
