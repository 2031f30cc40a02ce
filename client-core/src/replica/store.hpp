// The replica's private pieces shared by its files: the long-text fields and
// their sealed characters, how a field's registers are encoded in a row's
// `_reg` column, the row cache and its undo journal, and the small SQLite
// helpers (each_row). Not part of the public API (replica.hpp).
#pragma once
#include <array>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "packline/base/byte_reader.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/replica/replica.hpp"
#include "replica/db.hpp"

namespace packline::detail {

inline const std::set<std::string> system_tables = {"meta", "change_log", "reg", "text_state", "waiting", "covered", "heads", "lww_v2", "reg_v3",
                                            "refused", "texts_v7", "notes_v11"};

// The long-text fields (see long_text()).
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> long_text_fields = {{
    {"question", "body"}, {"consolidated_question", "body"}, {"kloe", "bullets"}, {"forward_plan", "notes"},
    {"annotation", "body"}}};

// Who "typed" text that reached a long-text field as a register write (an
// older client's change, a schema v7 file): an id every replica derives alike
// from the field and the write (`what`: its writer and HLC). Such ids never
// travel as inserts (on the wire an insert is its change's actor's); later
// edits name these characters like any others.
inline bytes seed_actor(const std::string& table, const bytes& row, const std::string& field, const bytes& what) {
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

inline std::uint32_t slot_of(std::uint64_t counter) { return static_cast<std::uint32_t>(counter >> replica::text_slot_shift); }
constexpr std::uint64_t counter_mask = (std::uint64_t{1} << replica::text_slot_shift) - 1;

inline std::int64_t as_int(const value& v) { return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0; }

inline std::string doc_key(const std::string& table, const bytes& row, const std::string& field) {
  return table + '\x1f' + std::string(row.begin(), row.end()) + '\x1f' + field;
}


// A value as a materialised column gives it back (SQLite stores a bool as an
// integer), so a kept write reads the same wherever it came from.
inline value normalised(value v) {
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
inline std::uint64_t writer_of(const bytes& actor) {
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < 8; ++i) w = w << 8 | (i < actor.size() ? actor[i] : 0);
  return w;
}
inline bytes bytes_of(std::uint64_t writer) {
  bytes b;
  append_be(b, writer, 8);
  return b;
}

// A double's bits (Emscripten 3.1.6's libc++ has no bit_cast).
inline std::uint64_t bits_of(double d) {
  std::uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double double_of(std::uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

// A reader over `_reg` bytes that stops (ok false) at the first damage.
struct reg_reader : byte_reader {
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

inline std::vector<field_reg> decode_regs(const bytes& b) {
  std::vector<field_reg> out;
  reg_reader r{{b}};
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
      for (std::uint64_t n = r.be(4); n > 0 && r.ok; --n) {
        kept_write k;
        k.hlc.wall_ms = r.be(8);
        k.hlc.counter = static_cast<std::uint32_t>(r.be(4));
        k.writer = r.be(8);
        k.val = r.val();
        f.kept.push_back(std::move(k));
      }
    if (!r.ok) break;  // damaged: keep what parsed
    out.push_back(std::move(f));
  }
  return out;
}

inline std::size_t value_size(const value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return 5 + s->size();
  if (auto* b = std::get_if<bytes>(&v)) return 5 + b->size();
  if (std::holds_alternative<bool>(v)) return 2;
  return std::holds_alternative<std::monostate>(v) ? 1 : 9;
}
inline std::uint8_t* put_value(std::uint8_t* p, const value& v) {
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
inline std::size_t encode_regs(const field_order& regs, bytes& out) {
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
inline result<bool> has_table(db& d, std::string_view name) {
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
inline row_key key_of(const std::string* table, const bytes& row) {
  row_key k{table, {}};
  std::memcpy(k.id.data(), row.data(), 16);
  return k;
}

}  // namespace packline::detail

namespace packline {
using namespace detail;

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

}  // namespace packline
