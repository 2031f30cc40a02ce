// Thin wrapper over one SQLite connection (the replica's storage). Private to
// client-core; db.cpp is the only client-core file that includes sqlite3.h.
// Not thread-safe: owned by one replica.
#pragma once
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include "packline/wire/change.hpp"
#include "packline/base/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace packline {

class stmt {
 public:
  explicit stmt(sqlite3_stmt* s) : s_(s) {}
  stmt& bind(int i, const value& v);
  stmt& bind(int i, const bytes& b);
  stmt& bind(int i, std::string_view s);
  stmt& bind(int i, std::int64_t v);
  stmt& bind_null(int i);
  // Without a copy: `v` must stay alive and unchanged until reset().
  stmt& bind_ref(int i, const value& v);
  stmt& bind_ref(int i, const bytes& b);
  stmt& bind_ref(int i, const std::uint8_t* p, std::size_t n);
  // true: a row is ready; false: done. Errors are storage results.
  result<bool> step();
  // Runs to completion and resets (for statements without rows).
  result<void> run();
  void reset();
  int columns() const;
  std::string column_name(int i) const;
  value column(int i) const;
  bytes column_blob(int i) const;
  std::int64_t column_int(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;

 private:
  sqlite3_stmt* s_;
};

class db {
 public:
  static result<std::unique_ptr<db>> open_memory();
  // A database image from serialize(); checked with quick_check.
  static result<std::unique_ptr<db>> deserialize(const bytes& image);
  ~db();
  result<bytes> serialize();
  result<void> exec(const std::string& sql);
  // Prepared once per SQL text, reset before being handed out.
  result<stmt*> prepare(const std::string& sql);
  std::string last_error() const;
  // The last statement's: rows it changed; the rowid of the row it inserted.
  int changes() const;
  std::int64_t last_insert_rowid() const;
  // Transactions nest: the outermost is BEGIN/COMMIT, inner ones savepoints,
  // so one change can fail inside a batch without undoing the others.
  result<void> begin();
  result<void> commit();
  void rollback();

 private:
  explicit db(sqlite3* h) : h_(h) {}
  result<void> control(const std::string& sql);
  sqlite3* h_;
  int depth_ = 0;
  std::unordered_map<std::string, std::pair<sqlite3_stmt*, std::unique_ptr<stmt>>> cache_;
};

// The replica's `meta` table (key → value), shared by the replica's modules.
result<value> meta_get(db& d, std::string_view key);
result<void> meta_set(db& d, std::string_view key, const value& v);

// RAII transaction: rolls back unless committed.
class transaction {
 public:
  explicit transaction(db& d) : d_(d) { ok_ = d_.begin().ok(); }
  ~transaction() { if (ok_ && !done_) d_.rollback(); }
  bool began() const { return ok_; }
  result<void> commit() {
    if (!ok_) return make_error(errc::storage, "replica storage: the transaction did not begin");
    done_ = true;
    return d_.commit();
  }

 private:
  db& d_;
  bool ok_ = false, done_ = false;
};

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

}  // namespace packline
