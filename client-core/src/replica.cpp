// The replica: change log, registers, text CRDTs and materialised tables in
// SQLite (schema/replica). Applying is idempotent and commutative: a change is
// known by (actor, seq) and applied only after its causal predecessors; each
// field keeps every write not superseded by a later one (its `pred`), and the
// greatest (hlc, actor) is materialised; so every delivery order ends in the
// same state.
#include "packline/replica.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

#include "db.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "replica_keys.hpp"
#include "replica_migrations.hpp"

namespace packline {
namespace {

const std::set<std::string> system_tables = {"meta", "change_log", "reg", "text_state", "waiting", "covered", "heads", "lww_v2", "reg_v3",
                                            "refused", "texts_v7", "notes_v11"};

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


// The long-text fields (see long_text()).
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> long_text_fields = {{
    {"question", "body"}, {"consolidated_question", "body"}, {"kloe", "bullets"}, {"forward_plan", "notes"},
    {"annotation", "body"}}};

// Who "typed" text that reached a long-text field as a register write (an
// older client's change, a schema v7 file): an id every replica derives alike
// from the field and the write (`what`: its writer and HLC). Such ids never
// travel as inserts (on the wire an insert is its change's actor's); later
// edits name these characters like any others.
bytes seed_actor(const std::string& table, const bytes& row, const std::string& field, const bytes& what) {
  bytes in = to_bytes("packline seed text");
  for (const bytes& part : {to_bytes(table), row, to_bytes(field), what}) {
    in.push_back(0);
    append(in, part);
  }
  return crypto::sha256(in);
}

// Sealed long text (replica::words_key): character c with id (typer,
// counter) is stored as c + pad(id) over the Unicode scalar values
// (surrogates left out, so every stored char is valid UTF-8). The pad is a
// keyed BLAKE2b of the id, four chars per hash; a char id is typed once, so
// no pad is ever used twice.
constexpr std::uint32_t scalar_count = 0x110000 - 0x800;
class char_pads {
 public:
  explicit char_pads(const crypto::secret& key) : key_(key) {}
  char32_t seal(const bytes& typer, std::uint64_t counter, char32_t c) {
    return from_index((to_index(c) + pad(typer, counter)) % scalar_count);
  }
  char32_t open(const bytes& typer, std::uint64_t counter, char32_t c) {
    return from_index((to_index(c) + scalar_count - pad(typer, counter)) % scalar_count);
  }

 private:
  static std::uint32_t to_index(char32_t c) { return c < 0xd800 ? c : c > 0x10ffff ? 0xfffd - 0x800 : c - 0x800; }
  static char32_t from_index(std::uint32_t i) { return i < 0xd800 ? i : i + 0x800; }
  std::uint32_t pad(const bytes& typer, std::uint64_t counter) {
    if (typer != typer_ || counter / 4 != block_) {
      typer_ = typer;
      block_ = counter / 4;
      std::string msg(typer.begin(), typer.end());
      for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>(block_ >> (8 * i)));
      hash_ = crypto::keyed_hash(key_, msg, 32);
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = v << 8 | hash_[(counter % 4) * 8 + i];
    return static_cast<std::uint32_t>(v % scalar_count);
  }
  const crypto::secret& key_;
  bytes typer_;
  std::uint64_t block_ = 0;
  bytes hash_;
};

std::uint32_t slot_of(std::uint64_t counter) { return static_cast<std::uint32_t>(counter >> replica::text_slot_shift); }
constexpr std::uint64_t counter_mask = (std::uint64_t{1} << replica::text_slot_shift) - 1;

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
  std::uint64_t writer = 0;  // see writer_of
  value val;
  auto key() const { return std::tie(hlc, writer); }
};

// The registers of a row, in its `_reg` column (schema v7): a 0 byte, then
// per field (sorted by name) u8 name length, name, u8 flags, and unless
// flag 4 the winner's stamp: u64 wall, u32 counter, 8-byte writer (flag 4:
// the same write as the field before, so a row one change wrote holds its
// stamp once); flag 2: u32 count of kept writes follows, each u64 wall, u32
// counter, 8-byte writer, value (u8 variant index, then 1 byte for a bool,
// 8 for a number, u32 length and bytes for a string or blob). Kept writes are
// sorted greatest first, so equal states have equal bytes. Rows stored
// before v7 lack the 0 byte (a name's length is never 0), and each field has
// its stamp before its flags; they are read as they are and written anew.
struct field_reg {
  std::string field;
  hlc_timestamp hlc;
  std::uint64_t writer = 0;  // see writer_of
  std::vector<kept_write> kept;
  std::optional<value> val;  // the winner's value once read or written (memory only)
  bool changed = false;       // the winner changed since the row was stored (memory only)
  auto key() const { return std::tie(hlc, writer); }
  void sort_kept() {  // greatest first; a handful, nearly in order: insertion sort
    for (std::size_t i = 1; i < kept.size(); ++i)
      for (std::size_t j = i; j > 0 && kept[j - 1].key() < kept[j].key(); --j) std::swap(kept[j - 1], kept[j]);
  }
};
constexpr std::uint8_t flag_kept = 2;  // (flag 1 was v3's "kept in reg")
constexpr std::uint8_t flag_same_write = 4;

// A writer: the first 8 bytes of its device key, as a big-endian number (so
// numbers order as the bytes do); bytes_of gives the bytes back.
std::uint64_t writer_of(const bytes& actor) {
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < 8; ++i) w = w << 8 | (i < actor.size() ? actor[i] : 0);
  return w;
}
bytes bytes_of(std::uint64_t writer) {
  bytes b;
  append_be(b, writer, 8);
  return b;
}

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
  bool v7 = !b.empty() && b[0] == 0;
  r.i = v7 ? 1 : 0;
  while (r.i < b.size()) {
    field_reg f;
    bytes name = r.take(r.be(1));
    f.field.assign(name.begin(), name.end());
    std::uint8_t flags = v7 ? static_cast<std::uint8_t>(r.be(1)) : 0;
    if (v7 && (flags & flag_same_write)) {
      if (out.empty()) break;  // damaged: keep what parsed
      f.hlc = out.back().hlc;
      f.writer = out.back().writer;
    } else {
      f.hlc.wall_ms = r.be(8);
      f.hlc.counter = static_cast<std::uint32_t>(r.be(4));
      f.writer = r.be(8);
    }
    if (!v7) flags = static_cast<std::uint8_t>(r.be(1));
    if (flags & flag_kept)
      for (std::uint64_t n = r.be(4); n > 0 && !r.bad; --n) {
        kept_write k;
        k.hlc.wall_ms = r.be(8);
        k.hlc.counter = static_cast<std::uint32_t>(r.be(4));
        k.writer = r.be(8);
        k.val = r.val();
        f.kept.push_back(std::move(k));
      }
    if (r.bad) break;  // damaged: keep what parsed
    out.push_back(std::move(f));
  }
  return out;
}

std::size_t value_size(const value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return 5 + s->size();
  if (auto* b = std::get_if<bytes>(&v)) return 5 + b->size();
  if (std::holds_alternative<bool>(v)) return 2;
  return std::holds_alternative<std::monostate>(v) ? 1 : 9;
}
std::uint8_t* put_value(std::uint8_t* p, const value& v) {
  *p++ = static_cast<std::uint8_t>(v.index());
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) *p++ = x ? 1 : 0;
        else if constexpr (std::is_same_v<T, std::int64_t>) p = store_be(p, static_cast<std::uint64_t>(x), 8);
        else if constexpr (std::is_same_v<T, double>) p = store_be(p, bits_of(x), 8);
        else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bytes>) {
          p = store_be(p, x.size(), 4);
          if (!x.empty()) std::memcpy(p, x.data(), x.size());
          p += x.size();
        }
      },
      v);
  return p;
}

// A row's fields in name order (they are kept in write order): the order of
// `_reg` and of the columns a write-back binds. A row has a handful of
// fields, so an insertion sort of pointers, on the stack.
class field_order {
 public:
  explicit field_order(const std::vector<field_reg>& regs) : n_(regs.size()) {
    if (n_ > few_.size()) {
      many_.resize(n_);
      p_ = many_.data();
    }
    for (std::size_t i = 0; i < n_; ++i) {
      const field_reg* f = &regs[i];
      std::size_t j = i;
      for (; j > 0 && f->field < p_[j - 1]->field; --j) p_[j] = p_[j - 1];
      p_[j] = f;
    }
  }
  field_order(const field_order&) = delete;
  field_order& operator=(const field_order&) = delete;
  const field_reg* const* begin() const { return p_; }
  const field_reg* const* end() const { return p_ + n_; }

 private:
  std::size_t n_;
  std::array<const field_reg*, 32> few_;
  std::vector<const field_reg*> many_;
  const field_reg** p_ = few_.data();
};

// Into the front of `out`, which only grows (a row is encoded at every
// write-back, into one buffer): returns the length.
std::size_t encode_regs(const field_order& regs, bytes& out) {
  std::size_t n = 1;
  for (const field_reg* f : regs) {
    n += 2 + f->field.size() + 20;
    if (!f->kept.empty()) n += 4;
    for (auto& k : f->kept) n += 20 + value_size(k.val);
  }
  if (out.size() < n) out.resize(std::max(n, 2 * out.size()));
  std::uint8_t* p = out.data();
  *p++ = 0;  // the v7 layout
  const field_reg* before = nullptr;
  for (const field_reg* r : regs) {
    const field_reg& f = *r;
    *p++ = static_cast<std::uint8_t>(f.field.size());
    std::memcpy(p, f.field.data(), f.field.size());
    p += f.field.size();
    bool same = before && before->hlc == f.hlc && before->writer == f.writer;
    *p++ = static_cast<std::uint8_t>((f.kept.empty() ? 0 : flag_kept) | (same ? flag_same_write : 0));
    if (!same) {
      p = store_be(p, f.hlc.wall_ms, 8);
      p = store_be(p, f.hlc.counter, 4);
      p = store_be(p, f.writer, 8);
    }
    before = &f;
    if (f.kept.empty()) continue;
    p = store_be(p, f.kept.size(), 4);
    for (auto& k : f.kept) {
      p = store_be(p, k.hlc.wall_ms, 8);
      p = store_be(p, k.hlc.counter, 4);
      p = store_be(p, k.writer, 8);
      p = put_value(p, k.val);
    }
  }
  return static_cast<std::size_t>(p - out.data());
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

struct row_key {
  const std::string* table;  // a key of columns_ (stable)
  std::array<std::uint8_t, 16> id;
  bool operator==(const row_key&) const = default;
};
struct row_key_hash {
  std::size_t operator()(const row_key& k) const {
    std::uint64_t h;
    std::memcpy(&h, k.id.data(), 8);  // row ids are random
    return static_cast<std::size_t>(h ^ reinterpret_cast<std::uintptr_t>(k.table));
  }
};
row_key key_of(const std::string* table, const bytes& row) {
  row_key k{table, {}};
  std::memcpy(k.id.data(), row.data(), 16);
  return k;
}
}  // namespace

// A materialised row as the last changes left it: read from SQLite once, then
// kept in the row cache, where changes modify it in place. Its changed
// columns are written back lazily (flush_rows: before any read of the tables,
// on save, or when the cache is full), so a row touched by every page of a
// pull is written once, not once per page.
struct replica::row_work {
  row_key key{};  // its table (a key of columns_) and id, without a heap copy (rows are copied into the journal)
  std::vector<field_reg> regs;
  std::vector<std::pair<std::string, value>> texts;  // text columns to write (registers: field_reg::changed)
  bool exists = false;  // the row is stored already
  std::int64_t rowid = 0;  // its SQLite rowid when known (0: not), so a write-back need not look up its id
  bool dirty = false;
  std::uint64_t journaled = 0;  // the batch that saved this row's earlier state
  std::uint64_t flushed = 0;    // the write-back that last wrote it (0: none since it was read)
  field_reg* find(const std::string& f) {
    for (auto& r : regs)
      if (r.field == f) return &r;
    return nullptr;
  }
};

// Rows read or written lately, the ones not yet written back, and the undo
// journal: inside a batch (a storage transaction or savepoint) what undoes
// each change of a row is saved before it (see changing()), so a batch that
// fails leaves memory as the rolled-back tables expect it.
struct replica::row_cache {
  std::unordered_map<row_key, row_work, row_key_hash> rows;  // (nodes: a row_work does not move)
  std::vector<row_work*> dirty;  // rows of `rows` (rebuilt when a failed batch drops rows)
  // What undoes one change of a row, newest last: a clean row is dropped (it
  // reloads); a dirty row gets back its copy (saved_rows[slot]), one
  // register (saved_regs[slot] into regs[index]), or loses its last register.
  struct saved {
    enum kind_t : std::uint8_t { clean, row, reg, added } kind = clean;
    row_key key;
    std::uint32_t index = 0;
    std::size_t slot = 0;
  };
  std::vector<saved> journal;  // the outermost batch's
  // The copies, [0, used); the ones after keep their buffers, so copying into
  // the journal mostly allocates nothing.
  std::vector<row_work> saved_rows;
  std::vector<field_reg> saved_regs;
  std::size_t rows_used = 0, regs_used = 0;
  struct mark {
    std::uint64_t serial;
    std::uint64_t changes;  // `changes` when it began
  };
  std::vector<mark> marks;  // open batches, outermost first
  std::uint64_t serial = 0;
  std::uint64_t changes = 0;  // calls of changing(), ever
  // Every id each table has stored (or had: a superset, as inserts add to it
  // before their transaction commits), read once per table, so a new row
  // costs no SELECT; with the row's `_reg` as that scan read it (for the
  // first row_cache_rows rows), so a row's first use costs no SELECT either.
  // Only flush_row writes `_reg`; a row it wrote is entered here (new) or
  // its copy emptied (stale) when the row leaves `rows` (forget()), not on
  // every write. An empty copy is read from the table.
  struct kept_row {
    bytes reg;
    std::int64_t rowid = 0;
  };
  std::unordered_map<row_key, kept_row, row_key_hash> stored;
  std::set<const std::string*> ids_loaded;
  bool broken = false;  // a nested batch failed after changing rows: the outermost must fail
  row_work* last = nullptr;  // the row work_for gave last (null when rows are dropped)
  std::uint64_t flushes = 0;
  bool flushing = false;
  // Before a row leaves `rows`: if it was written back since it was read,
  // the table has it as it is now, and `stored` must not offer the old copy.
  void forget(const row_work& w) {
    if (w.flushed) stored[w.key] = {bytes{}, w.rowid};
  }
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

bool long_text(std::string_view table, std::string_view field) {
  for (auto [t, f] : long_text_fields)
    if (t == table && f == field) return true;
  return false;
}

// Opens and seals the characters of one text: all under one key (a draft's
// sealed words), or each under the key of its slot (keyed_text), or none.
struct replica::text_lock {
  const crypto::secret* all = nullptr;
  const text_keys* slots = nullptr;
  std::map<std::uint32_t, char_pads> pads;  // by slot (slot 0 for `all`)
  std::size_t hidden = 0;                   // characters open() could not open

  char_pads* pads_of(std::uint32_t slot) {
    auto it = pads.find(slot);
    if (it != pads.end()) return &it->second;
    const crypto::secret* k = all;
    if (slots) {
      auto s = slots->find(slot);
      k = s == slots->end() ? nullptr : &s->second;
    }
    return k ? &pads.emplace(slot, char_pads(*k)).first->second : nullptr;
  }
  char32_t open(const bytes& typer, std::uint64_t counter, char32_t c) {
    std::uint32_t slot = all ? 0 : slot_of(counter);
    if (!all && slot == 0) return c;
    char_pads* p = pads_of(slot);
    if (!p) return ++hidden, text_doc::text_skip;
    return p->open(typer, counter, c);
  }
  char32_t seal(const bytes& typer, std::uint64_t counter, char32_t c, std::uint32_t slot) {
    if (!all && slot == 0) return c;
    return pads_of(all ? 0 : slot)->seal(typer, counter, c);
  }
};

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
  return load_keys();  // keyring and keys (replica_keys.cpp)
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

result<bool> replica::sealed_row(row_work& w) {
  field_reg* m = w.find("sealed_words");
  if (!m) return false;
  if (m->val) return as_int(*m->val) == 1;
  auto v = stored(w, "sealed_words");
  if (!v) return v.err();
  return as_int(*v) == 1;
}

// The cached row (read from SQLite the first time). `table` is a key of columns_.
result<replica::row_work*> replica::work_for(const std::string& table, const bytes& row) {
  if (row.size() != 16) return make_error(errc::malformed, "a row id is 16 bytes");
  row_work* last = cache_->last;  // consecutive ops mostly write one row
  if (last && last->key.table == &table && std::memcmp(last->key.id.data(), row.data(), 16) == 0) return last;
  row_key k = key_of(&table, row);
  auto placed = cache_->rows.try_emplace(k);  // (not a structured binding: lambdas below capture it, clang 14)
  auto it = placed.first;
  row_work& w = it->second;
  if (!placed.second) return cache_->last = &w;
  w.key = k;
  auto unread = [&](error e) -> result<row_work*> {  // the row stays out of the cache
    cache_->rows.erase(it);
    cache_->last = nullptr;
    return e;
  };
  if (!cache_->ids_loaded.count(&table)) {
    auto all = db_->prepare("SELECT id, _reg, rowid FROM \"" + table + "\"");
    std::size_t kept = 0;
    auto loaded = all ? each_row(*all, [&](stmt& st) {
      bytes id = st.column_blob(0);
      if (id.size() != 16) return;
      row_cache::kept_row& k = cache_->stored[key_of(&table, id)];
      k.rowid = st.column_int(2);
      if (kept < limits::row_cache_rows) {
        k.reg = st.column_blob(1);
        ++kept;
      }
    }) : result<void>(all.err());
    if (!loaded) return unread(loaded.err());
    cache_->ids_loaded.insert(&table);
  }
  cache_->last = &w;
  auto known = cache_->stored.find(k);
  if (known == cache_->stored.end()) return &w;  // never stored: a new row
  if (!known->second.reg.empty()) {
    w.exists = true;
    w.rowid = known->second.rowid;
    w.regs = decode_regs(known->second.reg);
    return &w;
  }
  auto s = db_->prepare("SELECT _reg, rowid FROM \"" + table + "\" WHERE id = ?1");
  auto r = s ? (*s)->bind(1, row).step() : result<bool>(s.err());
  if (!r) return unread(r.err());
  if (*r) {
    w.exists = true;
    w.rowid = (*s)->column_int(1);
    w.regs = decode_regs((*s)->column_blob(0));
  }
  (*s)->reset();
  return &w;
}

// Called before a cached row changes; it will be written back. Inside a
// batch, what undoes the change is journaled: for a clean row, once per
// outermost batch, that it was clean; for a dirty row, its copy, or, when
// only register `reg` changes (set_field; reg == regs.size(): one is about to
// be added), that register alone, so a page that changes a field of many
// rows does not copy them whole.
void replica::changing(row_work& w, std::size_t reg) {
  auto& c = *cache_;
  ++c.changes;
  if (!c.marks.empty() && w.journaled != c.marks.front().serial) {
    row_cache::saved& j = c.journal.emplace_back();
    j.key = w.key;
    if (!w.dirty || reg > w.regs.size()) {
      w.journaled = c.marks.front().serial;
      j.kind = w.dirty ? row_cache::saved::row : row_cache::saved::clean;
      if (w.dirty) {
        if (c.rows_used == c.saved_rows.size()) c.saved_rows.emplace_back();
        j.slot = c.rows_used++;
        c.saved_rows[j.slot] = w;
      }
    } else if (reg < w.regs.size()) {
      j.kind = row_cache::saved::reg;
      j.index = static_cast<std::uint32_t>(reg);
      if (c.regs_used == c.saved_regs.size()) c.saved_regs.emplace_back();
      j.slot = c.regs_used++;
      c.saved_regs[j.slot] = w.regs[reg];
    } else {
      j.kind = row_cache::saved::added;
    }
  }
  if (!w.dirty) c.dirty.push_back(&w);
  w.dirty = true;
}

// Writes the changed rows back, in one batch of their own, and empties a
// full cache. Memory changes only once the rows are stored; inside an outer
// batch the rows are journaled first, so a failed outer batch finds them
// dirty again.
result<void> replica::flush_rows() {
  auto& c = *cache_;
  bool nested = !c.marks.empty();
  std::vector<row_work*> written;
  if (!c.dirty.empty()) {
    c.flushing = true;
    std::uint64_t pass = ++c.flushes;
    auto r = batch([&]() -> result<void> {
      for (row_work* w : c.dirty) {
        if (!w->dirty || w->flushed == pass) continue;
        w->flushed = pass;
        if (nested) changing(*w);
        PL_TRY(flush_row(*w));
        written.push_back(w);
      }
      return {};
    });
    c.flushing = false;
    if (!r) return r;  // still dirty: written next time
    for (row_work* w : written) {
      w->exists = true;
      w->dirty = false;
      w->texts.clear();
      for (auto& f : w->regs) f.changed = false;
    }
    c.dirty.clear();
  }
  if (!nested && c.rows.size() > limits::row_cache_rows) {
    for (auto& [k, w] : c.rows) c.forget(w);
    c.rows.clear();
    c.last = nullptr;
  }
  return {};
}

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

// The stored value of a field of a row (a winner about to become a conflict).
result<value> replica::stored(const row_work& w, const std::string& field) {
  for (auto& [f, v] : w.texts)
    if (f == field) return normalised(v);
  if (!w.exists) return value{};
  auto s = db_->prepare("SELECT \"" + field + "\" FROM \"" + *w.key.table + "\" WHERE id = ?1");
  if (!s) return s.err();
  auto r = (*s)->bind_ref(1, w.key.id.data(), w.key.id.size()).step();
  if (!r) return r.err();
  value v = *r ? (*s)->column(0) : value{};
  (*s)->reset();
  return v;
}

// One register write (see 004_conflicts_inline.sql): the field's writes
// become (writes - pred) + {this}; the greatest is materialised, the others
// are kept with it in the row as conflicts. All in memory: the row is written
// back later (flush_rows).
result<void> replica::set_field(row_work& w, op& o, const hlc_timestamp& hlc, std::uint64_t writer) {
  field_reg* m = w.find(o.field);
  changing(w, m ? static_cast<std::size_t>(m - w.regs.data()) : w.regs.size());
  if (!m) {  // the common case: a field's first write (encode_regs orders the fields)
    field_reg& f = w.regs.emplace_back();
    f.field = o.field;
    f.hlc = hlc;
    f.writer = writer;
    f.val = normalised(std::move(o.val));
    f.changed = true;
    return {};
  }
  auto same = [](const hlc_timestamp& h, std::uint64_t a, const hlc_timestamp& h2, std::uint64_t b) { return h == h2 && a == b; };
  if (same(m->hlc, m->writer, hlc, writer)) return {};  // this very write, again
  for (const kept_write& k : m->kept)
    if (same(k.hlc, k.writer, hlc, writer)) return {};
  bool winner_superseded = false;
  for (const reg_ref& p : o.pred) {
    std::uint64_t pw = p.writer;
    if (same(p.hlc, pw, m->hlc, m->writer)) winner_superseded = true;
    else std::erase_if(m->kept, [&](const kept_write& k) { return same(k.hlc, k.writer, p.hlc, pw); });
  }
  kept_write mine{hlc, writer, normalised(std::move(o.val))};
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
      m->val = std::move(mine.val);
      m->changed = true;
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
    m->val = std::move(best.val);
    m->changed = true;
    return {};
  }
  m->hlc = hlc;
  m->writer = writer;
  m->val = std::move(mine.val);
  m->changed = true;
  return {};
}

result<void> replica::flush_row(row_work& w) {
  if (!w.dirty) return {};
  // Columns in binding order: changed registers (by name, so one statement
  // serves a set of fields), then texts.
  field_order order(w.regs);
  std::vector<std::pair<const std::string*, const value*>>& cols = bind_cols_;
  cols.clear();
  for (const field_reg* f : order)
    if (f->changed && f->val) cols.emplace_back(&f->field, &*f->val);
  for (auto& [f, v] : w.texts) cols.emplace_back(&f, &v);
  std::size_t reg_bytes = w.regs.empty() ? 0 : encode_regs(order, scratch_);
  // One statement per row: an INSERT of a new row, an UPDATE of a stored one
  // (cheaper than an upsert) by its rowid when known ('r': one b-tree seek
  // instead of two), else by id ('u'); cached per table and set of fields,
  // so the SQL text is built only the first time. Values are bound without
  // copies (they live in `w` and scratch_ until run() resets the statement).
  auto write = [&](char how) -> result<void> {
    std::string& key = stmt_key_;
    key.assign(1, how);
    (key += '|') += *w.key.table;
    for (auto& [f, v] : cols) (key += '|') += *f;
    stmt*& s = upserts_[key];
    if (!s) {
      std::string sql;
      if (how != 'i') {
        sql = "UPDATE \"" + *w.key.table + "\" SET _reg = ?2";
        int i = 3;
        for (auto& [f, v] : cols) sql += ", \"" + *f + "\" = ?" + std::to_string(i++);
        sql += how == 'r' ? " WHERE rowid = ?" + std::to_string(i) + " AND id = ?1" : " WHERE id = ?1";
      } else {
        std::string names = "id, _reg", vals = "?1, ?2";
        int i = 3;
        for (auto& [f, v] : cols) {
          names += ", \"" + *f + "\"";
          vals += ", ?" + std::to_string(i++);
        }
        sql = "INSERT INTO \"" + *w.key.table + "\"(" + names + ") VALUES(" + vals + ")";
      }
      auto p = db_->prepare(sql);
      if (!p) {
        upserts_.erase(key);
        return p.err();
      }
      s = *p;
    }
    s->bind_ref(1, w.key.id.data(), w.key.id.size());
    if (w.regs.empty()) s->bind_null(2);  // a row only a text wrote (snapshot() skips it)
    else s->bind_ref(2, scratch_.data(), reg_bytes);
    int i = 3;
    for (auto& [f, v] : cols) s->bind_ref(i++, *v);
    if (how == 'r') s->bind(i, w.rowid);
    return s->run();
  };
  char how = !w.exists ? 'i' : w.rowid ? 'r' : 'u';
  PL_TRY(write(how));
  // (Rows are never deleted or moved while open; the id check makes sure.)
  if (how == 'r' && db_->changes() != 1) return make_error(errc::storage, "replica storage: a row to write back is missing");
  if (how == 'i') w.rowid = db_->last_insert_rowid();
  return {};  // (`stored` learns of it when the row leaves the cache: row_cache::forget)
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
    PL_TRY(key(*del).bind(4, static_cast<std::int64_t>(p.hlc.wall_ms)).bind(5, static_cast<std::int64_t>(p.hlc.counter)).bind(6, bytes_of(p.writer)).run());
  return key(*ins).bind(4, static_cast<std::int64_t>(hlc.wall_ms)).bind(5, static_cast<std::int64_t>(hlc.counter)).bind(6, writer)
      .bind(7, o.val).run();
}

// Every write of a field as this replica knows it: the pred of a new write.
result<std::vector<reg_ref>> replica::current_writes(const op& o) {
  std::vector<reg_ref> out;
  const std::string* t = materialised(o.table, o.field);
  bool known = t != nullptr;
  if (known) {
    auto w = work_for(*t, o.row);
    if (!w) return w.err();
    if (field_reg* m = (*w)->find(o.field)) {
      out.reserve(1 + m->kept.size());
      out.push_back({m->writer, m->hlc});
      for (const kept_write& k : m->kept) out.push_back({k.writer, k.hlc});
    }
  }
  if (!known) {  // all its writes wait in reg
    auto s = db_->prepare("SELECT actor, hlc_wall, hlc_counter FROM reg WHERE tbl=?1 AND row=?2 AND field=?3");
    if (!s) return s.err();
    (*s)->bind(1, std::string_view(o.table)).bind(2, o.row).bind(3, std::string_view(o.field));
    PL_TRY(each_row(*s, [&](stmt& st) {
      out.push_back({writer_of(st.column_blob(0)), {static_cast<std::uint64_t>(st.column_int(1)), static_cast<std::uint32_t>(st.column_int(2))}});
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

result<void> replica::store_doc(const std::string& table, const bytes& row, const std::string& field) {
  auto d = doc(table, row, field);
  if (!d) return d.err();
  auto s = db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4) "
                        "ON CONFLICT(tbl, row, field) DO UPDATE SET doc = excluded.doc");
  if (!s) return s.err();
  PL_TRY((*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).bind(4, (*d)->encode()).run());
  // The column holds the open characters only (sealed ones under a slot's key stay in the text).
  return materialise(table, row, field,
                     (*d)->text([](const bytes&, std::uint64_t c, char32_t ch) { return slot_of(c) ? text_doc::text_skip : ch; }));
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

result<std::uint64_t> replica::edit_text(const std::string& table, const bytes& row, const std::string& field, std::size_t pos,
                                         std::size_t del, const std::string& insert, std::uint64_t now_ms) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  if (!long_text(table, field)) return make_error(errc::invalid_argument, table + "." + field + " is not long text");
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
                                          const std::string& text, const crypto::secret* key) {
  text_lock lock;
  lock.all = key;
  return edit_ops(table, row, field, text, lock, 0, false);
}

result<std::vector<op>> replica::keyed_text_ops(const std::string& table, const bytes& row, const std::string& field,
                                                const std::string& text, const text_keys& keys, std::uint32_t slot,
                                                bool retype) {
  if (slot >= (1u << (63 - text_slot_shift))) return make_error(errc::invalid_argument, "no such key slot");
  if (slot != 0 && !keys.count(slot)) return make_error(errc::no_key, "this tablet does not hold the key to write that text");
  text_lock lock;
  lock.slots = &keys;
  return edit_ops(table, row, field, text, lock, slot, retype);
}

result<std::vector<op>> replica::edit_ops(const std::string& table, const bytes& row, const std::string& field,
                                          const std::string& text, text_lock& lock, std::uint32_t slot, bool retype) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  if (!long_text(table, field)) return make_error(errc::invalid_argument, table + "." + field + " is not long text");
  auto cached = doc(table, row, field);
  if (!cached) return cached.err();
  // Edits are made on a copy: the caller may still decide not to commit them.
  text_doc scratch = **cached;
  text_doc* d = &scratch;
  const bool sealing = lock.all || lock.slots;
  std::u32string now = utf8_to_u32(sealing ? d->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); })
                                           : d->text()),
                 want = utf8_to_u32(text);
  if (lock.hidden)  // positions would not match, and an edit would lose what it cannot read
    return make_error(errc::no_key, "this tablet cannot open all of this text yet, so it cannot change it");
  std::size_t pre = 0;
  while (!retype && pre < now.size() && pre < want.size() && now[pre] == want[pre]) ++pre;
  std::size_t suf = 0;
  while (!retype && suf < now.size() - pre && suf < want.size() - pre && now[now.size() - 1 - suf] == want[want.size() - 1 - suf]) ++suf;
  // The edit sits on word (best: line) boundaries, so a word another tablet
  // deletes at the same time takes none of this edit's letters along, and
  // two lines added at one place stay two lines. A pure insertion or removal
  // slides along equal letters to the best-placed spot ("Tom " typed before
  // "Tim" is not "om T" after "T"); a replacement widens to whole words.
  auto space = [](char32_t c) { return c == U' ' || c == U'\n' || c == U'\t'; };
  std::size_t n = now.size(), del = n - pre - suf, ins = want.size() - pre - suf;
  if (!retype && (del == 0) != (ins == 0)) {
    const std::u32string& base = del ? now : want;  // the text that holds the slid block
    std::size_t len = del ? del : ins, lo = pre, hi = pre;
    while (lo > 0 && base[lo - 1] == base[lo - 1 + len]) --lo;
    while (hi + len < base.size() && base[hi] == base[hi + len]) ++hi;
    auto score = [&](std::size_t at) {
      auto edge = [&](bool none, char32_t c) { return none || c == U'\n' ? 2 : space(c) ? 1 : 0; };
      return edge(at == 0, at ? base[at - 1] : 0) + edge(at + len == base.size(), base[at + len - 1]);
    };
    std::size_t best = pre;
    for (std::size_t at = lo; at <= hi; ++at)
      if (score(at) > score(best)) best = at;
    pre = best;
    suf = base.size() - best - len;
  } else if (!retype && del && ins) {
    while (pre > 0 && !space(now[pre - 1]) && (pre == n || !space(now[pre]))) --pre;
    while (suf > 0 && !space(now[n - suf]) && !space(now[n - suf - 1])) --suf;
  }
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (now.size() - pre - suf) add(d->remove(pre, now.size() - pre - suf));
  if (want.size() - pre - suf) {
    std::u32string typed = want.substr(pre, want.size() - pre - suf);
    std::uint64_t counter = (static_cast<std::uint64_t>(slot) << text_slot_shift) | text_counter_;
    if (sealing)
      for (std::size_t i = 0; i < typed.size(); ++i) typed[i] = lock.seal(device_id(), counter + i, typed[i], slot);
    add(d->insert(device_id(), counter, pre, u32_to_utf8(typed)));
    text_counter_ = counter & counter_mask;
  }
  return ops;
}

result<std::uint64_t> replica::set_text(const std::string& table, const bytes& row, const std::string& field,
                                        const std::string& text, std::uint64_t now_ms) {
  auto ops = text_ops(table, row, field, text);
  if (!ops) return ops.err();
  if (ops->empty()) return make_error(errc::invalid_argument, "the text is unchanged");
  return commit(std::move(*ops), now_ms);
}

std::string replica::text(const std::string& table, const bytes& row, const std::string& field, const crypto::secret* key) {
  if (!long_text(table, field)) return {};
  auto d = doc(table, row, field);
  if (!d) return {};
  text_lock lock;
  lock.all = key;
  static const text_keys none;
  if (!key) lock.slots = &none;
  return (*d)->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); });
}

std::string replica::keyed_text(const std::string& table, const bytes& row, const std::string& field, const text_keys& keys,
                                std::size_t* hidden) {
  if (hidden) *hidden = 0;
  if (!long_text(table, field)) return {};
  auto d = doc(table, row, field);
  if (!d) return {};
  text_lock lock;
  lock.slots = &keys;
  std::string out = (*d)->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); });
  if (hidden) *hidden = lock.hidden;
  return out;
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
                                   std::uint64_t now_ms) {
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
    PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(body.hlc.wall_ms))
               .bind(4, static_cast<std::int64_t>(body.hlc.counter)).bind_ref(5, env_bytes)
               .bind(6, static_cast<std::int64_t>(server_seq)).run());
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
