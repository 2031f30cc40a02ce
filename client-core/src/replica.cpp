// The replica: change log, registers, text CRDTs and materialised tables in
// SQLite (schema/replica). Applying is idempotent and commutative: a change is
// known by (actor, seq) and applied only after its causal predecessors; each
// field keeps every write not superseded by a later one (its `pred`), and the
// greatest (hlc, actor) is materialised; so every delivery order ends in the
// same state.
#include "packline/replica.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "db.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "replica_keys.hpp"
#include "replica_migrations.hpp"

namespace packline {
namespace {

const std::set<std::string> system_tables = {"meta", "change_log", "reg", "text_state", "waiting", "covered", "heads", "lww_v2", "reg_v3"};

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
    bool has_reg = false;
    for (;;) {
      auto r = (*c)->step();
      if (!r) return r.err();
      if (!*r) break;
      std::string col = (*c)->column_text(0);
      if (col == "_reg") has_reg = true;
      else out[t].insert(col);
    }
    (*c)->reset();
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

// A value as a materialised column gives it back (SQLite stores a bool as an
// integer), so a kept write reads the same wherever it came from.
value normalised(value v) {
  if (const bool* b = std::get_if<bool>(&v)) return std::int64_t(*b ? 1 : 0);
  return v;
}

// A concurrent write that lost (a conflict): kept until a write supersedes it.
struct kept_write {
  hlc_timestamp hlc;
  bytes writer;  // 8 bytes
  value val;
  auto key() const { return std::tie(hlc, writer); }
};

// The registers of a row, in its `_reg` column: per field (sorted by name)
// u8 name length, name, u64 wall, u32 counter, 8-byte writer of the winner,
// u8 flags; flag 2: u32 count of kept writes follows, each u64 wall,
// u32 counter, 8-byte writer, value (u8 variant index, then 1 byte for a bool,
// 8 for a number, u32 length and bytes for a string or blob). Kept writes are
// sorted greatest first, so equal states have equal bytes.
struct field_reg {
  std::string field;
  hlc_timestamp hlc;
  bytes writer;  // 8 bytes
  std::vector<kept_write> kept;
  std::optional<value> val;  // the winner's value once read or written (memory only)
  auto key() const { return std::tie(hlc, writer); }
  void sort_kept() {
    std::sort(kept.begin(), kept.end(), [](const kept_write& a, const kept_write& b) { return a.key() > b.key(); });
  }
};
constexpr std::uint8_t flag_kept = 2;  // (flag 1 was v3's "kept in reg")

bytes writer_of(const bytes& actor) { return bytes(actor.begin(), actor.begin() + std::min<std::size_t>(8, actor.size())); }

// A double's bits (Emscripten 3.1.6's libc++ has no bit_cast).
std::uint64_t bits_of(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
double double_of(std::uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

void encode_value(bytes& out, const value& v) {
  out.push_back(static_cast<std::uint8_t>(v.index()));
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) out.push_back(x ? 1 : 0);
        else if constexpr (std::is_same_v<T, std::int64_t>) append_be(out, static_cast<std::uint64_t>(x), 8);
        else if constexpr (std::is_same_v<T, double>) append_be(out, bits_of(x), 8);
        else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bytes>) {
          append_be(out, x.size(), 4);
          out.insert(out.end(), x.begin(), x.end());
        }
      },
      v);
}

// A reader over `_reg` bytes that stops (ok() false) at the first damage.
struct reg_reader {
  const bytes& b;
  std::size_t i = 0;
  bool bad = false;
  bool has(std::size_t n) {
    if (i + n > b.size()) bad = true;
    return !bad;
  }
  std::uint64_t be(int n) {
    std::uint64_t v = 0;
    if (has(static_cast<std::size_t>(n)))
      for (int k = 0; k < n; ++k) v = v << 8 | b[i++];
    return v;
  }
  bytes take(std::size_t n) {
    if (!has(n)) return {};
    bytes out(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
    return out;
  }
  value val() {
    switch (be(1)) {
      case 1: return be(1) != 0;
      case 2: return static_cast<std::int64_t>(be(8));
      case 3: return double_of(be(8));
      case 4: { bytes s = take(be(4)); return std::string(s.begin(), s.end()); }
      case 5: return take(be(4));
      default: return value{};
    }
  }
};

std::vector<field_reg> decode_regs(const bytes& b) {
  std::vector<field_reg> out;
  reg_reader r{b};
  while (r.i < b.size()) {
    field_reg f;
    bytes name = r.take(r.be(1));
    f.field.assign(name.begin(), name.end());
    f.hlc.wall_ms = r.be(8);
    f.hlc.counter = static_cast<std::uint32_t>(r.be(4));
    f.writer = r.take(8);
    std::uint8_t flags = static_cast<std::uint8_t>(r.be(1));
    if (flags & flag_kept)
      for (std::uint64_t n = r.be(4); n > 0 && !r.bad; --n) {
        kept_write k;
        k.hlc.wall_ms = r.be(8);
        k.hlc.counter = static_cast<std::uint32_t>(r.be(4));
        k.writer = r.take(8);
        k.val = r.val();
        f.kept.push_back(std::move(k));
      }
    if (r.bad) break;  // damaged: keep what parsed
    out.push_back(std::move(f));
  }
  return out;
}

bytes encode_regs(std::vector<field_reg>& regs) {
  std::sort(regs.begin(), regs.end(), [](const field_reg& a, const field_reg& b) { return a.field < b.field; });
  bytes out;
  for (auto& f : regs) {
    out.push_back(static_cast<std::uint8_t>(f.field.size()));
    append(out, std::string_view(f.field));
    append_be(out, f.hlc.wall_ms, 8);
    append_be(out, f.hlc.counter, 4);
    append(out, f.writer);
    out.push_back(f.kept.empty() ? 0 : flag_kept);
    if (f.kept.empty()) continue;
    append_be(out, f.kept.size(), 4);
    for (auto& k : f.kept) {
      append_be(out, k.hlc.wall_ms, 8);
      append_be(out, k.hlc.counter, 4);
      append(out, k.writer);
      encode_value(out, k.val);
    }
  }
  return out;
}

// A table left by a migration for the replica to convert.
result<bool> has_table(db& d, std::string_view name) {
  auto s = d.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1");
  if (!s) return s.err();
  auto r = (*s)->bind(1, name).step();
  if (!r) return r.err();
  bool present = *r;
  (*s)->reset();
  return present;
}

// Each stored row of `table` that has registers (or just `row`), in id order,
// decoded: f(id, registers, column values).
template <class F>
result<void> each_register_row(db& d, const std::string& table, const bytes& row, F&& f) {
  auto s = d.prepare("SELECT * FROM \"" + table + "\" WHERE _reg IS NOT NULL" + std::string(row.empty() ? "" : " AND id = ?1") +
                     " ORDER BY id");
  if (!s) return s.err();
  if (!row.empty()) (*s)->bind(1, row);
  return each_row(*s, [&](stmt& st) {
    bytes id;
    std::vector<field_reg> regs;
    std::map<std::string, value> vals;
    for (int i = 0; i < st.columns(); ++i) {
      std::string name = st.column_name(i);
      if (name == "id") id = st.column_blob(i);
      else if (name == "_reg") regs = decode_regs(st.column_blob(i));
      else vals[name] = st.column(i);
    }
    f(id, regs, vals);
  });
}

}  // namespace

// A materialised row as the last change left it: read from SQLite once, then
// kept in the row cache; its changed columns are written at the end of the
// transaction (of the batch, when there is one).
struct replica::row_work {
  std::string key;  // table + '\0' + id
  std::string table;
  bytes row;
  std::vector<field_reg> regs;
  std::map<std::string, value> changed;  // columns to write
  bool exists = false;  // the row is stored already
  bool dirty = false;
  field_reg* find(const std::string& f) {
    for (auto& r : regs)
      if (r.field == f) return &r;
    return nullptr;
  }
};

// The rows one change touches (copies, so a failed change leaves the cache
// as it was), in first-touch order, found by key.
struct replica::row_works {
  std::vector<std::unique_ptr<row_work>> list;
  std::unordered_map<std::string, row_work*> index;
};

// Rows read or written lately, by key, and the ones not yet written back.
struct replica::row_cache {
  std::unordered_map<std::string, row_work> rows;
  std::vector<row_work*> dirty;  // stable: unordered_map never moves its values
};

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

replica::replica(std::unique_ptr<db> d, crypto::signing_key k)
    : db_(std::move(d)), key_(std::move(k)), cache_(std::make_unique<row_cache>()) {}
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
  PL_TRY(r->upgrade_v2_registers());
  PL_TRY(r->upgrade_v3_conflicts());
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
  transaction tx(*db_);
  for (auto& w : writes) {
    row_works works;
    PL_TRY(apply_ops(w.body, w.actor, works));
    PL_TRY(keep_rows(works));
  }
  PL_TRY(db_->exec("DROP TABLE lww_v2"));
  return finish(tx);
}

// Schema v4 keeps conflicts in the rows; 004_conflicts_inline.sql renamed the
// v3 table, and its writes are moved here once.
result<void> replica::upgrade_v3_conflicts() {
  auto present = has_table(*db_, "reg_v3");
  if (!present) return present.err();
  if (!*present) return {};
  transaction tx(*db_);
  row_works works;
  auto s = db_->prepare("SELECT tbl, row, field, hlc_wall, hlc_counter, actor, value FROM reg_v3");
  if (!s) return s.err();
  auto unknown = db_->prepare("INSERT OR IGNORE INTO reg SELECT * FROM reg_v3 WHERE tbl=?1 AND row=?2 AND field=?3");
  if (!unknown) return unknown.err();
  struct v3_write { std::string table; bytes row; std::string field; kept_write k; };
  std::vector<v3_write> writes;
  PL_TRY(each_row(*s, [&](stmt& st) {
    writes.push_back({st.column_text(0), st.column_blob(1), st.column_text(2),
                      {{static_cast<std::uint64_t>(st.column_int(3)), static_cast<std::uint32_t>(st.column_int(4))}, st.column_blob(5),
                       st.column(6)}});
  }));
  for (auto& v : writes) {
    auto t = columns_.find(v.table);
    field_reg* m = nullptr;
    if (t != columns_.end() && t->second.count(v.field)) {
      auto w = work_for(works, v.table, v.row);
      if (!w) return w.err();
      m = (*w)->find(v.field);
      (*w)->dirty = true;
    }
    if (!m) {  // a field the schema does not know (or a write without its row): stays in reg
      PL_TRY((*unknown)->bind(1, std::string_view(v.table)).bind(2, v.row).bind(3, std::string_view(v.field)).run());
      continue;
    }
    m->kept.push_back(std::move(v.k));
    m->sort_kept();
  }
  PL_TRY(keep_rows(works));
  PL_TRY(db_->exec("DROP TABLE reg_v3"));
  return finish(tx);
}

result<bytes> replica::save() {
  PL_TRY(flush_rows());
  return db_->serialize();
}

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

// A column written outside a register (a text field's materialised text).
result<void> replica::materialise(row_works& works, const std::string& table, const bytes& row, const std::string& field,
                                  const value& v) {
  auto t = columns_.find(table);
  if (t == columns_.end() || !t->second.count(field)) return {};  // kept in reg/text_state for a later schema
  auto w = work_for(works, table, row);
  if (!w) return w.err();
  (*w)->changed[field] = v;
  (*w)->dirty = true;
  return {};
}

result<replica::row_work*> replica::work_for(row_works& works, const std::string& table, const bytes& row) {
  std::string k = table;
  k.push_back('\0');
  k.append(row.begin(), row.end());
  auto it = works.index.find(k);
  if (it != works.index.end()) return it->second;
  std::unique_ptr<row_work> w;
  if (auto c = cache_->rows.find(k); c != cache_->rows.end()) {
    w = std::make_unique<row_work>(c->second);
  } else {
    w = std::make_unique<row_work>();
    w->key = k;
    w->table = table;
    w->row = row;
    auto s = db_->prepare("SELECT _reg FROM \"" + table + "\" WHERE id = ?1");
    if (!s) return s.err();
    auto r = (*s)->bind(1, row).step();
    if (!r) return r.err();
    if (*r) {
      w->exists = true;
      w->regs = decode_regs((*s)->column_blob(0));
    }
    (*s)->reset();
  }
  row_work* p = w.get();
  works.list.push_back(std::move(w));
  works.index.emplace(std::move(k), p);
  return p;
}

// A change's rows become the cache's; written back now unless in a batch.
result<void> replica::keep_rows(row_works& works) {
  for (auto& w : works.list) {
    auto [it, fresh] = cache_->rows.try_emplace(w->key);
    bool was_dirty = !fresh && it->second.dirty;
    it->second = std::move(*w);
    if (it->second.dirty && !was_dirty) cache_->dirty.push_back(&it->second);
  }
  works.list.clear();
  works.index.clear();
  if (batch_depth_ > 0) return {};
  return flush_rows();
}

result<void> replica::flush_rows() {
  for (row_work* w : cache_->dirty) {
    if (auto r = flush_row(*w); !r) {
      forget_unsaved();
      if (batch_depth_ > 0) batch_broken_ = true;  // rows of earlier changes were lost: undo the batch
      return r;
    }
  }
  cache_->dirty.clear();
  if (cache_->rows.size() > limits::row_cache_rows) cache_->rows.clear();
  return {};
}

// Commits a transaction; on failure nothing cached from it may survive.
result<void> replica::finish(transaction& tx) {
  auto r = tx.commit();
  if (!r) {
    forget_unsaved();
    if (batch_depth_ > 0) batch_broken_ = true;
  }
  return r;
}

result<void> replica::begin_batch() {
  PL_TRY(db_->begin());
  if (batch_depth_++ == 0) batch_broken_ = false;
  return {};
}

result<void> replica::end_batch(result<void> outcome) {
  --batch_depth_;
  if (outcome && batch_depth_ == 0 && batch_broken_)
    outcome = make_error(errc::storage, "replica storage: a batch could not be completed");
  if (outcome && batch_depth_ == 0) outcome = flush_rows();
  if (!outcome) {
    db_->rollback();
    forget_unsaved();
    if (batch_depth_ > 0) batch_broken_ = true;
    return outcome;
  }
  auto r = db_->commit();
  if (!r) forget_unsaved();
  return r;
}

void replica::forget_unsaved() {
  docs_.clear();
  cache_->rows.clear();
  cache_->dirty.clear();
}

// The stored value of a field of a row (a winner about to become a conflict).
result<value> replica::stored(const row_work& w, const std::string& field) {
  auto c = w.changed.find(field);
  if (c != w.changed.end()) return normalised(c->second);
  if (!w.exists) return value{};
  auto s = db_->prepare("SELECT \"" + field + "\" FROM \"" + w.table + "\" WHERE id = ?1");
  if (!s) return s.err();
  auto r = (*s)->bind(1, w.row).step();
  if (!r) return r.err();
  value v = *r ? (*s)->column(0) : value{};
  (*s)->reset();
  return v;
}

// One register write (see 004_conflicts_inline.sql): the field's writes
// become (writes - pred) + {this}; the greatest is materialised, the others
// are kept with it in the row as conflicts. All in memory: the row is written
// once at the end of the transaction.
result<void> replica::set_field(row_work& w, const op& o, const hlc_timestamp& hlc, const bytes& writer) {
  w.dirty = true;
  field_reg* m = w.find(o.field);
  if (!m) {  // the common case: a field's first write
    w.regs.push_back({o.field, hlc, writer, {}, normalised(o.val)});
    w.changed[o.field] = o.val;
    return {};
  }
  auto same = [](const hlc_timestamp& h, const bytes& a, const hlc_timestamp& h2, const bytes& b) { return h == h2 && a == b; };
  if (same(m->hlc, m->writer, hlc, writer)) return {};  // this very write, again
  for (const kept_write& k : m->kept)
    if (same(k.hlc, k.writer, hlc, writer)) return {};
  bool winner_superseded = false;
  for (const reg_ref& p : o.pred) {
    bytes pw = writer_of(p.actor);
    if (same(p.hlc, pw, m->hlc, m->writer)) winner_superseded = true;
    else std::erase_if(m->kept, [&](const kept_write& k) { return same(k.hlc, k.writer, p.hlc, pw); });
  }
  kept_write mine{hlc, writer, normalised(o.val)};
  if (!winner_superseded) {
    // Concurrent with the current winner: both stay, the greater wins.
    if (mine.key() > m->key()) {
      if (!m->val) {
        auto old = stored(w, o.field);
        if (!old) return old.err();
        m->val = std::move(*old);
      }
      m->kept.push_back({m->hlc, m->writer, std::move(*m->val)});
      m->hlc = hlc;
      m->writer = writer;
      m->val = mine.val;
      w.changed[o.field] = o.val;
    } else {
      m->kept.push_back(std::move(mine));
    }
    m->sort_kept();
    return {};
  }
  // The old winner is gone; a kept write may now be the greatest.
  m->sort_kept();
  if (!m->kept.empty() && m->kept.front().key() > mine.key()) {
    kept_write best = std::move(m->kept.front());
    m->kept.front() = std::move(mine);
    m->sort_kept();
    m->hlc = best.hlc;
    m->writer = best.writer;
    m->val = best.val;
    w.changed[o.field] = std::move(best.val);
    return {};
  }
  m->hlc = hlc;
  m->writer = writer;
  m->val = std::move(mine.val);
  w.changed[o.field] = o.val;
  return {};
}

result<void> replica::flush_row(row_work& w) {
  if (!w.dirty) return {};
  // One statement per row and change: an UPDATE of a stored row (cheaper than
  // an upsert), an INSERT of a new one; cached per table and set of fields,
  // so the SQL text is built only the first time.
  std::string key = w.exists ? "u|" : "i|";
  key += w.table;
  for (auto& [f, v] : w.changed) (key += '|') += f;
  stmt*& s = upserts_[key];
  if (!s) {
    std::string sql;
    if (w.exists) {
      sql = "UPDATE \"" + w.table + "\" SET _reg = ?2";
      int i = 3;
      for (auto& [f, v] : w.changed) sql += ", \"" + f + "\" = ?" + std::to_string(i++);
      sql += " WHERE id = ?1";
    } else {
      std::string cols = "id, _reg", vals = "?1, ?2";
      int i = 3;
      for (auto& [f, v] : w.changed) {
        cols += ", \"" + f + "\"";
        vals += ", ?" + std::to_string(i++);
      }
      sql = "INSERT INTO \"" + w.table + "\"(" + cols + ") VALUES(" + vals + ")";
    }
    auto p = db_->prepare(sql);
    if (!p) {
      upserts_.erase(key);
      return p.err();
    }
    s = *p;
  }
  s->bind(1, w.row);
  if (w.regs.empty()) s->bind_null(2);  // a row only a text wrote (snapshot() skips it)
  else s->bind(2, encode_regs(w.regs));
  int i = 3;
  for (auto& [f, v] : w.changed) s->bind(i++, v);
  PL_TRY(s->run());
  w.exists = true;
  w.dirty = false;
  w.changed.clear();
  return {};
}

// A field the schema does not know: all its writes stay in `reg` until a
// later schema materialises it.
result<void> replica::set_unknown(const op& o, const hlc_timestamp& hlc, const bytes& writer) {
  auto del = db_->prepare("DELETE FROM reg WHERE tbl=?1 AND row=?2 AND field=?3 AND hlc_wall=?4 AND hlc_counter=?5 AND actor=?6");
  auto ins = db_->prepare("INSERT OR IGNORE INTO reg(tbl, row, field, hlc_wall, hlc_counter, actor, value) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!del) return del.err();
  if (!ins) return ins.err();
  auto key = [&](stmt* s) -> stmt& { return s->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field)); };
  for (const reg_ref& p : o.pred)
    PL_TRY(key(*del).bind(4, static_cast<std::int64_t>(p.hlc.wall_ms)).bind(5, static_cast<std::int64_t>(p.hlc.counter)).bind(6, writer_of(p.actor)).run());
  return key(*ins).bind(4, static_cast<std::int64_t>(hlc.wall_ms)).bind(5, static_cast<std::int64_t>(hlc.counter)).bind(6, writer)
      .bind(7, o.val).run();
}

// Every write of a field as this replica knows it: the pred of a new write.
result<std::vector<reg_ref>> replica::current_writes(row_works& works, const op& o) {
  std::vector<reg_ref> out;
  auto t = columns_.find(o.table);
  bool known = t != columns_.end() && t->second.count(o.field);
  if (known) {
    auto w = work_for(works, o.table, o.row);
    if (!w) return w.err();
    if (field_reg* m = (*w)->find(o.field)) {
      out.push_back({m->writer, m->hlc});
      for (const kept_write& k : m->kept) out.push_back({k.writer, k.hlc});
    }
  }
  if (!known) {  // all its writes wait in reg
    auto s = db_->prepare("SELECT actor, hlc_wall, hlc_counter FROM reg WHERE tbl=?1 AND row=?2 AND field=?3");
    if (!s) return s.err();
    (*s)->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field));
    PL_TRY(each_row(*s, [&](stmt& st) {
      out.push_back({st.column_blob(0), {static_cast<std::uint64_t>(st.column_int(1)), static_cast<std::uint32_t>(st.column_int(2))}});
    }));
  }
  return out;
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

result<void> replica::store_doc(row_works& works, const std::string& table, const bytes& row, const std::string& field) {
  auto d = doc(table, row, field);
  if (!d) return d.err();
  auto s = db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4) "
                        "ON CONFLICT(tbl, row, field) DO UPDATE SET doc = excluded.doc");
  if (!s) return s.err();
  PL_TRY((*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).bind(4, (*d)->encode()).run());
  return materialise(works, table, row, field, (*d)->text());
}

result<void> replica::apply_ops(const change_body& body, const bytes& actor, row_works& works) {
  std::vector<const op*> texts;  // text fields touched, stored once at the end
  bytes writer = writer_of(actor);
  for (const op& o : body.ops) {
    if (o.row.size() != 16 || o.field == "id" || o.field[0] == '_' || o.table.empty() || o.field.empty())
      return make_error(errc::malformed, "an operation names an invalid row or field");
    if (o.kind == op_kind::set) {
      auto t = columns_.find(o.table);
      if (t == columns_.end() || !t->second.count(o.field)) {
        PL_TRY(set_unknown(o, body.hlc, writer));
        continue;
      }
      auto w = work_for(works, o.table, o.row);
      if (!w) return w.err();
      PL_TRY(set_field(**w, o, body.hlc, writer));
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
  for (const op* t : texts) PL_TRY(store_doc(works, t->table, t->row, t->field));
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
  row_works seen;  // loaded for pred, reused by apply_ops
  for (op& o : ops) {
    if (o.kind != op_kind::set) continue;
    auto p = current_writes(seen, o);
    if (!p) return p.err();
    o.pred = std::move(*p);
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
  if (auto r = apply_ops(body, e.actor, seen); !r) {
    docs_.clear();  // text docs may hold part of the failed change
    return r.err();
  }
  PL_TRY(db_->exec("DELETE FROM heads"));
  auto h = db_->prepare("INSERT INTO heads(actor, seq) VALUES(?1, ?2)");
  if (!h) return h.err();
  PL_TRY((*h)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run());
  PL_TRY(meta_set(*db_, "text_counter", static_cast<std::int64_t>(text_counter_)));
  PL_TRY(keep_rows(seen));
  PL_TRY(finish(tx));
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
  auto cached = doc(table, row, field);
  if (!cached) return cached.err();
  // Edits are made on a copy: the caller may still decide not to commit them.
  text_doc scratch = **cached;
  text_doc* d = &scratch;
  std::u32string now = utf8_to_u32(d->text()), want = utf8_to_u32(text);
  std::size_t pre = 0;
  while (pre < now.size() && pre < want.size() && now[pre] == want[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < now.size() - pre && suf < want.size() - pre && now[now.size() - 1 - suf] == want[want.size() - 1 - suf]) ++suf;
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (now.size() - pre - suf) add(d->remove(pre, now.size() - pre - suf));
  if (want.size() - pre - suf) add(d->insert(device_id(), text_counter_, pre, u32_to_utf8(want.substr(pre, want.size() - pre - suf))));
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

std::optional<change_ref> replica::missing_dep(const bytes& actor, std::uint64_t seq, const change_body& body) {
  if (seq > 1 && !applied(actor, seq - 1)) return change_ref{actor, seq - 1};
  for (const change_ref& d : body.deps)
    if (!applied(d.actor, d.seq)) return d;
  return std::nullopt;
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
  row_works works;
  if (auto r = apply_ops(body, e.actor, works); !r) {
    docs_.clear();
    return r.err();
  }
  for (const change_ref& d : body.deps) PL_TRY((*del_head)->bind(1, d.actor).bind(2, static_cast<std::int64_t>(d.seq)).run());
  PL_TRY((*del_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq - 1)).run());
  PL_TRY((*add_head)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).run());
  PL_TRY(keep_rows(works));
  return finish(tx);
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
      if (e && body) {
        if (auto need = missing_dep(h.actor, h.seq, *body)) {
          PL_TRY((*park)->bind(1, h.actor).bind(2, static_cast<std::int64_t>(h.seq)).bind(3, need->actor)
                     .bind(4, static_cast<std::int64_t>(need->seq)).run());
          continue;
        }
        // A held change that fails now (e.g. its text edit does not fit) is
        // dropped: it can never apply, and it must not block the others.
        if (apply_change(*e, h.env, *body, h.server_seq, now_ms) || applied(h.actor, h.seq)) arrived.push_back({h.actor, h.seq});
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
  judge_at(*e, server_seq);
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
  if (auto need = missing_dep(e->actor, e->seq, *body)) {
    if (body->hlc.wall_ms > now_ms + limits::max_clock_skew_ms)
      return make_error(errc::clock_skew, "a change is dated too far in the future; check that device's clock");
    auto w = db_->prepare("INSERT OR IGNORE INTO waiting(actor, seq, envelope, server_seq, need_actor, need_seq) VALUES(?1,?2,?3,?4,?5,?6)");
    if (!w) return w.err();
    PL_TRY((*w)->bind(1, e->actor).bind(2, static_cast<std::int64_t>(e->seq)).bind(3, envelope_bytes)
               .bind(4, static_cast<std::int64_t>(server_seq)).bind(5, need->actor).bind(6, static_cast<std::int64_t>(need->seq)).run());
    return apply_status::waiting;
  }
  auto done = apply_change(*e, envelope_bytes, *body, server_seq, now_ms);
  if (!done && !applied(e->actor, e->seq)) return done.err();
  PL_TRY(drain_waiting(e->actor, e->seq, now_ms));
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
                      {st.column_blob(3), {static_cast<std::uint64_t>(st.column_int(4)), static_cast<std::uint32_t>(st.column_int(5))}},
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
  auto fail = [&](const error& e) {
    forget_unsaved();  // memory may hold part of the rolled-back load
    return e;
  };
  transaction tx(*db_);
  if (auto ok = meta_set(*db_, "space", snap->space); !ok) return fail(ok.err());
  auto cov = db_->prepare("INSERT OR REPLACE INTO covered(actor, seq) VALUES(?1, ?2)");
  auto head = db_->prepare("INSERT OR IGNORE INTO heads(actor, seq) VALUES(?1, ?2)");
  auto put = db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4)");
  if (!cov) return fail(cov.err());
  if (!head) return fail(head.err());
  if (!put) return fail(put.err());
  for (auto& c : snap->covered)
    if (auto ok = (*cov)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run(); !ok) return fail(ok.err());
  for (auto& c : snap->heads)
    if (auto ok = (*head)->bind(1, c.actor).bind(2, static_cast<std::int64_t>(c.seq)).run(); !ok) return fail(ok.err());
  hlc_timestamp latest;
  row_works works;
  for (auto& e : snap->regs) {
    // Each kept write, applied with no pred, rebuilds the same winner and
    // conflicts as on the replica that made the snapshot.
    change_body one{e.write.hlc, {op{op_kind::set, e.table, e.row, e.field, e.val, {}, {}}}, {}};
    if (auto ok = apply_ops(one, e.write.actor, works); !ok) return fail(ok.err());
    latest = std::max(latest, e.write.hlc);
  }
  for (std::size_t i = 0; i < snap->texts.size(); ++i) {
    auto& t = snap->texts[i];
    if (auto ok = (*put)->bind(1, std::string_view(t.table)).bind(2, t.row).bind(3, std::string_view(t.field)).bind(4, t.doc).run(); !ok)
      return fail(ok.err());
    if (auto ok = materialise(works, t.table, t.row, t.field, texts[i]); !ok) return fail(ok.err());
  }
  if (auto ok = keep_rows(works); !ok) return fail(ok.err());
  if (auto ok = set_cursor(snap->cursor); !ok) return fail(ok.err());
  if (auto ok = finish(tx); !ok) return fail(ok.err());
  clock_ = hlc_clock(std::max(latest, clock_.last()));  // never behind our own join
  return {};
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
  PL_TRY(flush_rows());
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
      else if (name != "_reg") rw.fields.emplace_back(std::move(name), (*s)->column(i));
    }
    out.push_back(std::move(rw));
  }
  (*s)->reset();
  return out;
}

bytes replica::digest() {
  (void)flush_rows();
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
