// The replica: change log, registers, text CRDTs and materialised tables in
// SQLite (schema/replica). Applying is idempotent and commutative: a change is
// known by (actor, seq) and applied only after its causal predecessors; each
// field keeps every write not superseded by a later one (its `pred`), and the
// greatest (hlc, actor) is materialised; so every delivery order ends in the
// same state. This file: creating and opening a replica (schema and
// migrations), settings, saving, what is pending, the cursor, reading rows.
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
#include "replica_migrations.hpp"

namespace packline {
using namespace detail;

namespace {

// Identifiers come from the schema itself (table_info), never from input,
// before they are spliced into SQL.
result<std::map<std::string, std::set<std::string>>> load_columns(db& d) {
  std::map<std::string, std::set<std::string>> out;
  auto s = d.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'");
  if (!s) return s.err();
  std::vector<std::string> tables;
  PL_TRY(each_row(*s, [&](stmt& st) { tables.push_back(st.column_text(0)); }));
  for (auto& t : tables) {
    if (system_tables.count(t)) continue;
    auto c = d.prepare("SELECT name FROM pragma_table_info(?1)");
    if (!c) return c.err();
    (*c)->bind(1, std::string_view(t));
    bool has_reg = false;
    PL_TRY(each_row(*c, [&](stmt& st) {
      std::string col = st.column_text(0);
      if (col == "_reg") has_reg = true;
      else out[t].insert(col);
    }));
    // Every materialised table carries its winners' register metadata.
    if (!has_reg) PL_TRY(d.exec("ALTER TABLE \"" + t + "\" ADD COLUMN _reg BLOB"));
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

bool long_text(std::string_view table, std::string_view field) {
  for (auto [t, f] : long_text_fields)
    if (t == table && f == field) return true;
  return false;
}


replica::replica(std::unique_ptr<db> d, crypto::signing_key k)
    : db_(std::move(d)), key_(std::move(k)), cache_(std::make_unique<row_cache>()) {}
replica::~replica() = default;
replica& replica::operator=(replica&& other) = default;

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
  PL_TRY(r->upgrade_v7_texts());  // (nothing to turn into text: drops the marker)
  PL_TRY(r->upgrade_v11_notes());
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
  PL_TRY(r->upgrade_v2_registers());
  PL_TRY(r->upgrade_v3_conflicts());
  PL_TRY(r->upgrade_v7_texts());
  PL_TRY(r->upgrade_v11_notes());
  return r;
}

result<void> replica::load_state() {
  auto cols = load_columns(*db_);
  if (!cols) return cols.err();
  columns_ = std::move(*cols);
  memo_ = {};
  PL_TRY(load_counters());
  // The clock starts from this device's own last stamp, not from any stamp
  // in the log: a change from a device whose clock is far ahead is applied
  // but never adopted (hlc.hpp), not even after a restart.
  auto h = db_->prepare("SELECT hlc_wall, hlc_counter FROM change_log WHERE actor = ?1 ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1");
  if (!h) return h.err();
  auto hr = (*h)->bind(1, device_id()).step();
  if (!hr) return hr.err();
  if (*hr)
    clock_ = hlc_clock({static_cast<std::uint64_t>((*h)->column_int(0)), static_cast<std::uint32_t>((*h)->column_int(1))});
  (*h)->reset();
  return load_keys();  // keyring and keys (keys.cpp)
}

// This device's next sequence number and text id, as stored.
result<void> replica::load_counters() {
  auto s = db_->prepare("SELECT COALESCE(MAX(seq), 0) FROM change_log WHERE actor = ?1");
  if (!s) return s.err();
  (*s)->bind(1, device_id());
  auto r = (*s)->step();
  if (!r) return r.err();
  next_seq_ = static_cast<std::uint64_t>((*s)->column_int(0)) + 1;
  (*s)->reset();
  auto tc = meta_get(*db_, "text_counter");
  if (!tc) return tc.err();
  text_counter_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(as_int(*tc)));
  return {};
}

// Schema v3 moved registers into the rows (`_reg`); 003_engine.sql renamed
// the v2 table, and its writes are replayed here once.
result<void> replica::upgrade_v2_registers() {
  auto present = has_table(*db_, "lww_v2");
  if (!present) return present.err();
  if (!*present) return {};
  struct old { change_body body; bytes actor; };
  std::vector<old> writes;
  auto s = db_->prepare("SELECT tbl, row, field, value, hlc_wall, hlc_counter, actor FROM lww_v2");
  if (!s) return s.err();
  PL_TRY(each_row(*s, [&](stmt& st) {
    hlc_timestamp h{static_cast<std::uint64_t>(st.column_int(4)), static_cast<std::uint32_t>(st.column_int(5))};
    writes.push_back({{h, {op{op_kind::set, st.column_text(0), st.column_blob(1), st.column_text(2), st.column(3), {}, {}}}, {}},
                      st.column_blob(6)});
  }));
  return batch([&]() -> result<void> {
    for (auto& w : writes) PL_TRY(apply_ops(w.body, w.actor));
    return db_->exec("DROP TABLE lww_v2");
  });
}

// Schema v4 keeps conflicts in the rows; 004_conflicts_inline.sql renamed the
// v3 table, and its writes are moved here once.
result<void> replica::upgrade_v3_conflicts() {
  auto present = has_table(*db_, "reg_v3");
  if (!present) return present.err();
  if (!*present) return {};
  auto s = db_->prepare("SELECT tbl, row, field, hlc_wall, hlc_counter, actor, value FROM reg_v3");
  if (!s) return s.err();
  auto unknown = db_->prepare("INSERT OR IGNORE INTO reg SELECT * FROM reg_v3 WHERE tbl=?1 AND row=?2 AND field=?3");
  if (!unknown) return unknown.err();
  struct v3_write { std::string table; bytes row; std::string field; kept_write k; };
  std::vector<v3_write> writes;
  PL_TRY(each_row(*s, [&](stmt& st) {
    writes.push_back({st.column_text(0), st.column_blob(1), st.column_text(2),
                      {{static_cast<std::uint64_t>(st.column_int(3)), static_cast<std::uint32_t>(st.column_int(4))},
                       writer_of(st.column_blob(5)), st.column(6)}});
  }));
  return batch([&]() -> result<void> {
    for (auto& v : writes) {
      const std::string* t = materialised(v.table, v.field);
      field_reg* m = nullptr;
      if (t) {
        auto w = work_for(*t, v.row);
        if (!w) return w.err();
        m = (*w)->find(v.field);
        if (m) changing(**w);
      }
      if (!m) {  // a field the schema does not know (or a write without its row): stays in reg
        PL_TRY((*unknown)->bind(1, std::string_view(v.table)).bind(2, v.row).bind(3, std::string_view(v.field)).run());
        continue;
      }
      m->kept.push_back(std::move(v.k));
      m->sort_kept();
    }
    return db_->exec("DROP TABLE reg_v3");
  });
}

// Schema v9: long-text fields are text only. 009_text_fields.sql left a
// marker table; here, once, a field a register wrote (a KLOE's lines from
// draft_kloe, forward-plan notes from an import) becomes text, and the
// field's registers go. Where text edits already made a text, it stays.
result<void> replica::upgrade_v7_texts() {
  auto present = has_table(*db_, "texts_v7");
  if (!present) return present.err();
  if (!*present) return {};
  return batch([&]() -> result<void> {
    for (auto [tv, fv] : long_text_fields) {
      std::string table(tv), field(fv);
      const std::string* t = materialised(table, field);
      if (!t) continue;
      std::vector<bytes> ids;
      auto s = db_->prepare("SELECT id FROM \"" + table + "\"");
      if (!s) return s.err();
      PL_TRY(each_row(*s, [&](stmt& st) { ids.push_back(st.column_blob(0)); }));
      for (auto& id : ids) {
        auto w = work_for(*t, id);
        if (!w) return w.err();
        field_reg* m = (*w)->find(field);
        if (!m) continue;
        auto d = doc(table, id, field);
        if (!d) return d.err();
        if ((*d)->run_count() == 0) {
          auto v = m->val ? result<value>(*m->val) : stored(**w, field);
          if (!v) return v.err();
          op o = set_op(table, id, field, *v);
          PL_TRY(text_from_register(o, m->hlc, m->writer));
        }
        changing(**w);
        (*w)->regs.erase((*w)->regs.begin() + (m - (*w)->regs.data()));
        PL_TRY(store_doc(table, id, field));
      }
    }
    return db_->exec("DROP TABLE texts_v7");
  });
}

// Schema v12: a note's body is long text. 012_note_text.sql left a marker;
// here, once, an open body register becomes text and a sealed one (a private
// note, which only its author's devices open) moves, write and all, to
// sealed_body; every replica does the same, so they stay equal.
result<void> replica::upgrade_v11_notes() {
  auto present = has_table(*db_, "notes_v11");
  if (!present) return present.err();
  if (!*present) return {};
  return batch([&]() -> result<void> {
    const std::string* t = materialised("annotation", "body");
    std::vector<bytes> ids;
    if (t) {
      auto s = db_->prepare("SELECT id FROM annotation");
      if (!s) return s.err();
      PL_TRY(each_row(*s, [&](stmt& st) { ids.push_back(st.column_blob(0)); }));
    }
    for (auto& id : ids) {
      auto w = work_for(*t, id);
      if (!w) return w.err();
      field_reg* m = (*w)->find("body");
      if (!m) continue;
      auto v = m->val ? result<value>(*m->val) : stored(**w, "body");
      if (!v) return v.err();
      hlc_timestamp hlc = m->hlc;
      std::uint64_t writer = m->writer;
      changing(**w);
      (*w)->regs.erase((*w)->regs.begin() + (m - (*w)->regs.data()));
      if (std::holds_alternative<bytes>(*v)) {
        op o = set_op("annotation", id, "sealed_body", std::move(*v));
        PL_TRY(set_field(**w, o, hlc, writer));
      } else {
        PL_TRY(text_from_register(set_op("annotation", id, "body", *v), hlc, writer));
      }
      PL_TRY(store_doc("annotation", id, "body"));
    }
    return db_->exec("DROP TABLE notes_v11");
  });
}

result<void> replica::text_from_register(const op& o, const hlc_timestamp& hlc, std::uint64_t writer) {
  auto d = doc(o.table, o.row, o.field);
  if (!d) return d.err();
  (*d)->remove(0, (*d)->size());
  const std::string* s = std::get_if<std::string>(&o.val);
  if (s && !s->empty()) {
    bytes write = bytes_of(writer);
    for (std::uint64_t n : {hlc.wall_ms, static_cast<std::uint64_t>(hlc.counter)})
      for (int i = 7; i >= 0; --i) write.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    std::uint64_t counter = 1;
    (*d)->insert(seed_actor(o.table, o.row, o.field, write), counter, 0, *s);
  }
  return {};
}

result<bytes> replica::save() {
  PL_TRY(flush_rows());
  return db_->serialize();
}

// Read for every change: kept in memory once known (forgotten when a batch
// fails, as it may have set it).
bytes replica::space() {
  if (!space_.empty()) return space_;
  auto v = meta_get(*db_, "space");
  if (v && std::holds_alternative<bytes>(*v)) space_ = std::get<bytes>(*v);
  return space_;
}

result<void> replica::set_space(const bytes& space16) {
  if (space16.size() != 16) return make_error(errc::invalid_argument, "a space id is 16 bytes");
  bytes cur = space();
  if (!cur.empty() && cur != space16)
    return make_error(errc::wrong_space, "this device already belongs to another panel");
  PL_TRY(meta_set(*db_, "space", space16));
  space_ = space16;
  return {};
}

std::string replica::setting(const std::string& key) {
  auto v = meta_get(*db_, "setting:" + key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

result<void> replica::set_setting(const std::string& key, const std::string& v) {
  return meta_set(*db_, "setting:" + key, v);
}

// A change's ops mostly name one table and a few fields: the last table's
// answers are remembered (bounded, as fields come from input).
const std::string* replica::materialised(const std::string& table, const std::string& field) {
  column_memo& m = memo_;
  if (!m.table || *m.table != table) {
    auto t = columns_.find(table);
    if (t == columns_.end()) return nullptr;
    m.table = &t->first;
    m.columns = &t->second;
    m.fields.clear();
  }
  for (auto& [f, known] : m.fields)
    if (f == field) return known ? m.table : nullptr;
  bool known = m.columns->count(field) > 0;
  if (m.fields.size() < limits::column_memo_fields) m.fields.emplace_back(field, known);
  return known ? m.table : nullptr;
}

// A column written outside a register (a text field's materialised text).
result<void> replica::materialise(const std::string& table, const bytes& row, const std::string& field, const value& given) {
  const std::string* t = materialised(table, field);
  if (!t) return {};  // kept in reg/text_state for a later schema
  auto w = work_for(*t, row);
  if (!w) return w.err();
  auto sealed = sealed_row(**w);
  if (!sealed) return sealed.err();
  const value v = *sealed ? value{std::string{}} : given;  // sealed text has no plain column
  changing(**w);
  for (auto& [f, old] : (*w)->texts)
    if (f == field) return old = v, result<void>{};
  (*w)->texts.emplace_back(field, v);
  return {};
}

std::vector<bytes> replica::pending(std::size_t max) {
  std::vector<bytes> out;
  // Waiting for the current epoch's key: changes sealed under a superseded
  // one stay here (the server refuses them) until the grant re-seals them;
  // keyring records (a key request) go.
  bool records_only = waiting_for_key();
  auto s = db_->prepare("SELECT envelope FROM change_log WHERE server_seq IS NULL ORDER BY seq");
  if (!s) return out;
  while (out.size() < max) {
    auto r = (*s)->step();
    if (!r || !*r) break;
    bytes env = (*s)->column_blob(0);
    if (records_only) {
      auto e = codec::decode_envelope(env);
      if (!e || e->epoch != keyring::record_epoch) continue;
    }
    out.push_back(std::move(env));
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

std::map<bytes, std::uint64_t> replica::last_change_ms() {
  std::map<bytes, std::uint64_t> out;
  auto s = db_->prepare("SELECT actor, MAX(hlc_wall) FROM change_log WHERE hlc_wall > 0 GROUP BY actor");
  if (!s) return out;
  for (;;) {
    auto r = (*s)->step();
    if (!r || !*r) break;
    out[(*s)->column_blob(0)] = static_cast<std::uint64_t>((*s)->column_int(1));
  }
  (*s)->reset();
  return out;
}

result<void> replica::acked(const bytes& actor, std::uint64_t seq, std::uint64_t server_seq) {
  auto s = db_->prepare("UPDATE change_log SET server_seq = ?3 WHERE actor = ?1 AND seq = ?2 AND server_seq IS NULL");
  if (!s) return s.err();
  return (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq)).bind(3, static_cast<std::int64_t>(server_seq)).run();
}

std::uint64_t replica::snapshot_cursor() {
  auto v = meta_get(*db_, "snapshot_cursor");
  return v && std::holds_alternative<std::int64_t>(*v) ? static_cast<std::uint64_t>(std::get<std::int64_t>(*v)) : 0;
}

std::uint64_t replica::cursor() {
  auto v = meta_get(*db_, "cursor");
  return v && std::holds_alternative<std::int64_t>(*v) ? static_cast<std::uint64_t>(std::get<std::int64_t>(*v)) : 0;
}

result<void> replica::set_cursor(std::uint64_t c) { return meta_set(*db_, "cursor", static_cast<std::int64_t>(c)); }

result<std::vector<row>> replica::rows(const std::string& table, const std::string& where_field, const value& equals,
                                      const std::string& order_by, bool with_deleted) {
  auto t = columns_.find(table);
  if (t == columns_.end()) return make_error(errc::not_found, "no table " + table);
  if ((!where_field.empty() && !t->second.count(where_field)) || (!order_by.empty() && !t->second.count(order_by)))
    return make_error(errc::invalid_argument, "no such field");
  PL_TRY(flush_rows());
  std::string sql = "SELECT * FROM \"" + table + "\" WHERE " + (with_deleted ? "1" : "deleted = 0");
  if (!where_field.empty()) sql += " AND \"" + where_field + "\" = ?1";
  sql += " ORDER BY ";
  if (!order_by.empty()) sql += "\"" + order_by + "\", ";
  sql += "id";
  auto s = db_->prepare(sql);
  if (!s) return s.err();
  if (!where_field.empty()) (*s)->bind(1, equals);
  std::vector<row> out;
  PL_TRY(each_row(*s, [&](stmt& st) {
    row rw;
    for (int i = 0; i < st.columns(); ++i) {
      std::string name = st.column_name(i);
      if (name == "id") rw.id = st.column_blob(i);
      else if (name != "_reg") rw.fields.emplace_back(std::move(name), st.column(i));
    }
    out.push_back(std::move(rw));
  }));
  return out;
}

bytes replica::digest() {
  (void)flush_rows();
  bytes acc;
  // Columns by name, not by their place in the table: a column a migration
  // adds comes after `_reg` in an older file and before it in a new one.
  std::vector<std::pair<std::string, std::string>> tables;
  for (auto& [table, cols] : columns_) {
    std::string select = "_reg";
    for (auto& c : cols) select += ", \"" + c + "\"";
    tables.emplace_back(table, "SELECT " + select + " FROM \"" + table + "\" ORDER BY id");
  }
  tables.emplace_back("reg", "SELECT * FROM reg ORDER BY tbl, row, field, hlc_wall, hlc_counter, actor");
  for (auto& [table, query] : tables) {
    append(acc, table);
    auto s = db_->prepare(query);
    if (!s) continue;
    int reg_column = -1;
    for (int i = 0; i < (*s)->columns(); ++i)
      if ((*s)->column_name(i) == "_reg") reg_column = i;
    for (;;) {
      auto r = (*s)->step();
      if (!r || !*r) break;
      for (int i = 0; i < (*s)->columns(); ++i) {
        value v = (*s)->column(i);
        if (auto* b = std::get_if<bytes>(&v); b && i == reg_column) {  // its layout may predate v7
          auto regs = decode_regs(*b);
          b->resize(encode_regs(field_order(regs), *b));
        }
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
