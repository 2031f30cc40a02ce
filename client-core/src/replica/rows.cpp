// The replica's rows and registers: a row's work in the row cache, each
// field's register of writes not superseded, the winner materialised into
// the row's table, and rows written back lazily.
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

}  // namespace packline
