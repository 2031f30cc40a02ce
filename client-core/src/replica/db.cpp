// SQLite implementation of the replica's storage (see db.hpp). The database
// lives in memory; its bytes move in and out with serialize/deserialize so
// the host (browser or native app) decides where they are persisted.
#include "replica/db.hpp"

#include <sqlite3.h>

#include <cstring>

namespace packline {

stmt& stmt::bind(int i, const value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) sqlite3_bind_null(s_, i);
        else if constexpr (std::is_same_v<T, bool>) sqlite3_bind_int64(s_, i, x ? 1 : 0);
        else if constexpr (std::is_same_v<T, std::int64_t>) sqlite3_bind_int64(s_, i, x);
        else if constexpr (std::is_same_v<T, double>) sqlite3_bind_double(s_, i, x);
        else if constexpr (std::is_same_v<T, std::string>) bind(i, std::string_view(x));
        else bind(i, x);
      },
      v);
  return *this;
}
stmt& stmt::bind_ref(int i, const value& v) {
  if (const std::string* s = std::get_if<std::string>(&v)) {
    sqlite3_bind_text64(s_, i, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    return *this;
  }
  if (const bytes* b = std::get_if<bytes>(&v)) return bind_ref(i, *b);
  return bind(i, v);
}
stmt& stmt::bind_ref(int i, const bytes& b) { return bind_ref(i, b.data(), b.size()); }

stmt& stmt::bind_ref(int i, const std::uint8_t* p, std::size_t n) {
  sqlite3_bind_blob64(s_, i, p, n, SQLITE_STATIC);
  return *this;
}
stmt& stmt::bind(int i, const bytes& b) {
  sqlite3_bind_blob64(s_, i, b.data(), b.size(), SQLITE_TRANSIENT);
  return *this;
}
stmt& stmt::bind(int i, std::string_view s) {
  sqlite3_bind_text64(s_, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
stmt& stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
stmt& stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

result<bool> stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string msg = sqlite3_errmsg(sqlite3_db_handle(s_));
  sqlite3_reset(s_);
  return make_error(errc::storage, "replica storage: " + msg);
}

result<void> stmt::run() {
  auto r = step();
  reset();
  if (!r) return r.err();
  return {};
}

void stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

int stmt::columns() const { return sqlite3_column_count(s_); }
std::string stmt::column_name(int i) const { return sqlite3_column_name(s_, i); }

value stmt::column(int i) const {
  switch (sqlite3_column_type(s_, i)) {
    case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(s_, i));
    case SQLITE_FLOAT: return sqlite3_column_double(s_, i);
    case SQLITE_TEXT: return column_text(i);
    case SQLITE_BLOB: return column_blob(i);
    default: return std::monostate{};
  }
}
bytes stmt::column_blob(int i) const {
  auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, i));
  int n = sqlite3_column_bytes(s_, i);
  return p ? bytes(p, p + n) : bytes{};
}
std::int64_t stmt::column_int(int i) const { return sqlite3_column_int64(s_, i); }
std::string stmt::column_text(int i) const {
  auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : std::string{};
}
bool stmt::column_is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

result<std::unique_ptr<db>> db::open_memory() {
  sqlite3* h = nullptr;
  // One owner, one thread: no per-call mutex.
  if (sqlite3_open_v2(":memory:", &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return make_error(errc::storage, "could not open the replica database");
  }
  // The whole database lives in memory anyway: let the page cache hold all
  // of it (the default 2 MiB would copy pages in and out of a deserialised
  // image over and over).
  sqlite3_exec(h, "PRAGMA cache_size = -262144", nullptr, nullptr, nullptr);
  return std::unique_ptr<db>(new db(h));
}

result<std::unique_ptr<db>> db::deserialize(const bytes& image) {
  if (image.size() < 512) return make_error(errc::corrupt_replica, "the stored replica is truncated");
  auto d = open_memory();
  if (!d) return d.err();
  auto* buf = static_cast<unsigned char*>(sqlite3_malloc64(image.size()));
  if (!buf) return make_error(errc::storage, "out of memory opening the replica");
  std::memcpy(buf, image.data(), image.size());
  int rc = sqlite3_deserialize((*d)->h_, "main", buf, image.size(), image.size(),
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK) return make_error(errc::corrupt_replica, "the stored replica could not be read");
  auto s = (*d)->prepare("PRAGMA quick_check");
  if (!s) return make_error(errc::corrupt_replica, "the stored replica is damaged: " + (*d)->last_error());
  auto row = (*s)->step();
  std::string verdict = row && *row ? (*s)->column_text(0) : "unreadable";
  (*s)->reset();
  if (verdict != "ok") return make_error(errc::corrupt_replica, "the stored replica is damaged: " + verdict);
  return d;
}

db::~db() {
  for (auto& [sql, p] : cache_) sqlite3_finalize(p.first);
  sqlite3_close(h_);
}

result<bytes> db::serialize() {
  sqlite3_int64 size = 0;
  unsigned char* p = sqlite3_serialize(h_, "main", &size, 0);
  if (!p) return make_error(errc::storage, "could not serialise the replica");
  bytes out(p, p + size);
  sqlite3_free(p);
  return out;
}

int db::changes() const { return sqlite3_changes(h_); }
std::int64_t db::last_insert_rowid() const { return sqlite3_last_insert_rowid(h_); }

result<void> db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(h_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    return make_error(errc::storage, "replica storage: " + m);
  }
  return {};
}

result<stmt*> db::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second.second->reset();
    return it->second.second.get();
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(h_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return make_error(errc::storage, "replica storage: " + last_error());
  auto& slot = cache_[sql];
  slot.first = s;
  slot.second = std::make_unique<stmt>(s);
  return slot.second.get();
}

std::string db::last_error() const { return sqlite3_errmsg(h_); }

// Transaction control runs as cached statements: a change applied on its
// own is a transaction, and parsing BEGIN/COMMIT each time cost more than
// the rest of a one-op change.
result<void> db::control(const std::string& sql) {
  auto s = prepare(sql);
  if (!s) return s.err();
  return (*s)->run();
}

result<void> db::begin() {
  PL_TRY(control(depth_ == 0 ? std::string("BEGIN") : "SAVEPOINT s" + std::to_string(depth_)));
  ++depth_;
  return {};
}

result<void> db::commit() {
  --depth_;
  if (depth_ > 0) return control("RELEASE s" + std::to_string(depth_));
  auto r = control("COMMIT");
  if (!r) (void)control("ROLLBACK");
  return r;
}

void db::rollback() {
  --depth_;
  if (depth_ > 0) {
    std::string sp = "s" + std::to_string(depth_);
    (void)control("ROLLBACK TO " + sp);
    (void)control("RELEASE " + sp);
  } else {
    (void)control("ROLLBACK");
  }
}

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

}  // namespace packline
