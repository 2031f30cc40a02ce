// SQLite implementation of store.hpp: WAL journal with synchronous=FULL, so a
// COMMIT has reached the disk (fsync of the WAL) before append() returns, and
// only then does the server send an ack. Migrations are embedded at build time
// from schema/server/*.sql. Single-threaded use; statements are cached.
#include "sqlite_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <system_error>

#include "packline/crypto/crypto.hpp"
#include "server_migrations.hpp"  // generated: server_migrations[i] is version i + 1
#include "tuning.hpp"

namespace packline::server {
namespace {

// Finalizes on destruction; reset() after each use keeps it reusable.
struct stmt {
  sqlite3_stmt* s = nullptr;
  stmt() = default;
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  ~stmt() { sqlite3_finalize(s); }
};

// Resets and clears bindings when a use of a cached statement ends, on every path.
struct use {
  sqlite3_stmt* s;
  explicit use(stmt& st) : s(st.s) {}
  ~use() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

int bind_blob(sqlite3_stmt* s, int i, const bytes& b) {
  // An empty vector has data() == nullptr, which SQLite would store as NULL.
  static const std::uint8_t empty = 0;
  return sqlite3_bind_blob(s, i, b.empty() ? &empty : b.data(), static_cast<int>(b.size()),
                           SQLITE_TRANSIENT);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bytes envelope_digest(const std::uint8_t* data, std::size_t n) { return crypto::digest(data, n, 16); }

constexpr std::uint64_t max_sql_int = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

}  // namespace

struct sqlite_store::statements {
  stmt begin, commit, rollback;
  stmt find, max_seq, insert, since, meta_get, meta_put;
  stmt sp_begin, sp_release, sp_rollback;
  stmt up_find, up_delete, up_insert, up_progress, chunk_insert, snap_complete_find, snap_complete,
      snap_prune, snap_stale, snap_latest, snap_by_cursor, chunk_at;
  stmt lease_put, lease_get;
};

error sqlite_store::fail(const char* what) {
  std::string msg = std::string("sqlite ") + what + " (" + path_ + "): " + (db_ ? sqlite3_errmsg(db_) : "no database");
  // A damaged file is not a transient failure: retrying reads the same damage.
  int rc = db_ ? sqlite3_errcode(db_) : SQLITE_OK;
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
    return make_error(errc::damaged, "the store " + path_ + " is damaged (" + msg + "); restore it from a backup");
  return make_error(errc::storage, msg);
}

result<void> sqlite_store::check_integrity() {
  // quick_check reads every page and checks the b-trees (not the indexes'
  // contents); bounded by a time budget so a huge store still starts.
  auto deadline = std::chrono::steady_clock::now() + tuning::startup_check_budget;
  bool timed_out = false;
  struct ctx_t { std::chrono::steady_clock::time_point deadline; bool* timed_out; } ctx{deadline, &timed_out};
  sqlite3_progress_handler(db_, 10000, [](void* p) -> int {
    auto* c = static_cast<ctx_t*>(p);
    if (std::chrono::steady_clock::now() < c->deadline) return 0;
    *c->timed_out = true;
    return 1;
  }, &ctx);
  sqlite3_stmt* q = nullptr;
  std::string problem;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(5)", -1, &q, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
      std::string line = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
      if (line != "ok") problem += (problem.empty() ? "" : "; ") + line;
    }
  }
  sqlite3_finalize(q);
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if (timed_out) {
    integrity_ = "incomplete";
    return {};
  }
  if (rc != SQLITE_DONE && problem.empty()) problem = sqlite3_errmsg(db_);
  if (!problem.empty())
    return make_error(errc::damaged, "the store " + path_ + " is damaged (" + problem +
                                         "); restore it from a backup");
  integrity_ = "ok";
  return {};
}

result<void> sqlite_store::backfill_digests() {
  // Rows stored before digests existed: one pass, once.
  if (!exec("BEGIN IMMEDIATE")) return fail("begin");
  sqlite3_stmt* sel = nullptr;
  sqlite3_stmt* upd = nullptr;
  auto done = [&](result<void> r) {
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    exec(r ? "COMMIT" : "ROLLBACK");
    return r;
  };
  if (sqlite3_prepare_v2(db_, "SELECT rowid, envelope FROM changes WHERE digest IS NULL", -1, &sel, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "UPDATE changes SET digest=?2 WHERE rowid=?1", -1, &upd, nullptr) != SQLITE_OK)
    return done(fail("backfill"));
  int rc;
  while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(sel, 1));
    auto d = envelope_digest(data, static_cast<std::size_t>(sqlite3_column_bytes(sel, 1)));
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    bind_blob(upd, 2, d);
    if (sqlite3_step(upd) != SQLITE_DONE) return done(fail("backfill"));
    sqlite3_reset(upd);
  }
  if (rc != SQLITE_DONE) return done(fail("backfill"));
  return done({});
}

result<std::uint64_t> sqlite_store::backup(const std::string& dir, const std::string& dest_dir) {
  namespace fs = std::filesystem;
  const std::string src_path = (fs::path(dir) / "server.db").string();
  const std::string dest_path = (fs::path(dest_dir) / "server.db").string();
  const std::string tmp_path = dest_path + ".partial";
  std::error_code ec;
  if (!fs::is_regular_file(src_path, ec)) return make_error(errc::not_found, "no store at " + src_path);
  if (fs::exists(dest_path, ec)) return make_error(errc::invalid_argument, dest_path + " already exists; back up into an empty folder");
  fs::create_directories(dest_dir, ec);
  if (ec) return make_error(errc::storage, "cannot create " + dest_dir + ": " + ec.message());
  fs::remove(tmp_path, ec);
  sqlite3 *src = nullptr, *dst = nullptr;
  auto done = [&](result<std::uint64_t> r) {
    sqlite3_close_v2(src);
    sqlite3_close_v2(dst);
    if (!r) fs::remove(tmp_path, ec);
    return r;
  };
  auto failed = [&](sqlite3* db, const std::string& what) {
    return done(make_error(errc::storage, what + ": " + (db ? sqlite3_errmsg(db) : "out of memory")));
  };
  if (sqlite3_open_v2(src_path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return failed(src, "open " + src_path);
  sqlite3_busy_timeout(src, 5000);
  if (sqlite3_open_v2(tmp_path.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    return failed(dst, "create " + tmp_path);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return failed(dst, "backup");
  int rc = sqlite3_backup_step(b, -1);  // every page, in one read transaction
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return failed(dst, "backup of " + src_path);
  // The copy must open as the server opens it and pass a full check.
  sqlite3_stmt* q = nullptr;
  std::string verdict;
  if (sqlite3_prepare_v2(dst, "PRAGMA integrity_check(1)", -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  if (verdict != "ok") return done(make_error(errc::damaged, "the copy failed its integrity check: " + verdict));
  sqlite3_close_v2(dst);
  dst = nullptr;
  fs::rename(tmp_path, dest_path, ec);
  if (ec) return done(make_error(errc::storage, "cannot name the copy " + dest_path + ": " + ec.message()));
  return done(static_cast<std::uint64_t>(fs::file_size(dest_path, ec)));
}

result<std::unique_ptr<sqlite_store>> sqlite_store::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(errc::storage, "cannot create data folder " + dir + ": " + ec.message());

  std::unique_ptr<sqlite_store> s(new sqlite_store());
  s->path_ = (std::filesystem::path(dir) / "server.db").string();
  int rc = sqlite3_open_v2(s->path_.c_str(), &s->db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return s->fail("open");

  // WAL: readers never block the writer and a commit is one sequential append
  // plus fsync. synchronous=FULL: that fsync happens at every commit, which is
  // what "acknowledged only after durable" needs (NORMAL would not sync the WAL).
  const char* pragmas =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=FULL;"
      "PRAGMA foreign_keys=ON;"
      "PRAGMA busy_timeout=5000;";
  if (sqlite3_exec(s->db_, pragmas, nullptr, nullptr, nullptr) != SQLITE_OK) return s->fail("pragmas");
  {
    // journal_mode answers with the mode in force; WAL can be refused (e.g.
    // on some network file systems) and we must not silently run without it.
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(s->db_, "PRAGMA journal_mode", -1, &q, nullptr) != SQLITE_OK) return s->fail("journal_mode");
    std::string mode;
    if (sqlite3_step(q) == SQLITE_ROW) mode = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (mode != "wal") return make_error(errc::storage, "sqlite: WAL journal not available (" + mode + ")");
  }
  PL_TRY(s->check_integrity());
  PL_TRY(s->migrate());
  PL_TRY(s->backfill_digests());
  PL_TRY(s->prepare());
  // The writer checkpoints only as a backstop (a WAL this big means the
  // background checkpointer cannot keep up); normally the thread below does.
  std::string backstop = "PRAGMA wal_autocheckpoint=" + std::to_string(tuning::wal_autocheckpoint_pages);
  if (sqlite3_exec(s->db_, backstop.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return s->fail("wal_autocheckpoint");
  if (sqlite3_open_v2(s->path_.c_str(), &s->ckpt_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK &&
      sqlite3_exec(s->ckpt_db_, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;", nullptr, nullptr, nullptr) == SQLITE_OK) {
    s->ckpt_thread_ = std::thread([p = s.get()] { p->checkpoint_loop(); });
  }
  return s;
}

void sqlite_store::checkpoint_loop() {
  std::unique_lock<std::mutex> l(ckpt_mu_);
  while (!ckpt_stop_) {
    ckpt_cv_.wait_for(l, tuning::wal_checkpoint_interval, [&] { return ckpt_stop_; });
    if (ckpt_stop_) break;
    l.unlock();
    int log_frames = 0, done_frames = 0;
    sqlite3_wal_checkpoint_v2(ckpt_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
    l.lock();
  }
}

sqlite_store::~sqlite_store() {
  if (ckpt_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> l(ckpt_mu_);
      ckpt_stop_ = true;
    }
    ckpt_cv_.notify_all();
    ckpt_thread_.join();
  }
  if (ckpt_db_) sqlite3_close(ckpt_db_);
  st_.reset();  // statements must be finalized before the connection closes
  if (db_) sqlite3_close(db_);
}

result<void> sqlite_store::migrate() {
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &q, nullptr) != SQLITE_OK) return fail("user_version");
  int version = 0;
  if (sqlite3_step(q) == SQLITE_ROW) version = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);

  const int latest = static_cast<int>(std::size(server_migrations));
  if (version > latest) {
    // Written by a newer server: refusing is safer than guessing its schema.
    return make_error(errc::storage, "server store has schema version " + std::to_string(version) +
                                         ", this build knows up to " + std::to_string(latest));
  }
  for (int v = version + 1; v <= latest; ++v) {
    // One transaction per migration, user_version included: a crash leaves
    // the store at the previous version, never half-migrated.
    std::string sql = std::string("BEGIN IMMEDIATE;\n") + server_migrations[v - 1] +
                      "\nPRAGMA user_version=" + std::to_string(v) + ";\nCOMMIT;";
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = "server migration " + std::to_string(v) + ": " + (err ? err : "?");
      sqlite3_free(err);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return make_error(errc::storage, msg);
    }
    version = v;
  }
  schema_version_ = version;
  return {};
}

result<void> sqlite_store::prepare() {
  st_ = std::make_unique<statements>();
  struct item { stmt* s; const char* sql; };
  const item items[] = {
      {&st_->begin, "BEGIN IMMEDIATE"},
      {&st_->commit, "COMMIT"},
      {&st_->rollback, "ROLLBACK"},
      {&st_->find, "SELECT server_seq FROM changes WHERE space=?1 AND actor=?2 AND seq=?3"},
      {&st_->max_seq, "SELECT COALESCE(MAX(server_seq),0) FROM changes WHERE space=?1"},
      {&st_->insert,
       "INSERT INTO changes(space, server_seq, actor, seq, envelope, received_ms, digest) "
       "VALUES(?1,?2,?3,?4,?5,?6,?7)"},
      {&st_->since,
       "SELECT server_seq, envelope, digest FROM changes WHERE space=?1 AND server_seq>?2 "
       "ORDER BY server_seq LIMIT ?3"},
      {&st_->meta_get, "SELECT value FROM meta WHERE key=?1"},
      {&st_->meta_put, "INSERT INTO meta(key, value) VALUES(?1, ?2)"},
      {&st_->sp_begin, "SAVEPOINT push"},
      {&st_->sp_release, "RELEASE push"},
      {&st_->sp_rollback, "ROLLBACK TO push"},
      {&st_->up_find, "SELECT id, cursor, total, received FROM snapshots WHERE space=?1 AND device=?2 AND complete=0"},
      {&st_->up_delete, "DELETE FROM snapshots WHERE id=?1"},
      {&st_->up_insert,
       "INSERT INTO snapshots(space, device, cursor, total, received, complete, created_ms) "
       "VALUES(?1,?2,?3,?4,0,0,?5)"},
      {&st_->up_progress, "UPDATE snapshots SET received=?2 WHERE id=?1"},
      {&st_->chunk_insert, "INSERT INTO snapshot_chunks(snapshot, offset, data) VALUES(?1,?2,?3)"},
      {&st_->snap_complete_find, "SELECT id FROM snapshots WHERE space=?1 AND complete=1 AND cursor=?2"},
      {&st_->snap_complete, "UPDATE snapshots SET complete=1 WHERE id=?1"},
      {&st_->snap_prune,
       "DELETE FROM snapshots WHERE space=?1 AND complete=1 AND id NOT IN "
       "(SELECT id FROM snapshots WHERE space=?1 AND complete=1 ORDER BY cursor DESC LIMIT ?2)"},
      {&st_->snap_stale, "DELETE FROM snapshots WHERE complete=0 AND created_ms < ?1"},
      {&st_->snap_latest,
       "SELECT id, cursor, total FROM snapshots WHERE space=?1 AND complete=1 ORDER BY cursor DESC LIMIT 1"},
      {&st_->snap_by_cursor, "SELECT id, cursor, total FROM snapshots WHERE space=?1 AND complete=1 AND cursor=?2"},
      {&st_->chunk_at,
       "SELECT offset, data FROM snapshot_chunks WHERE snapshot=?1 AND offset<=?2 ORDER BY offset DESC LIMIT 1"},
      {&st_->lease_put, "INSERT OR REPLACE INTO leases(space, device, sealed) VALUES(?1,?2,?3)"},
      {&st_->lease_get, "SELECT sealed FROM leases WHERE space=?1 AND device=?2"},
  };
  for (const auto& it : items) {
    if (sqlite3_prepare_v3(db_, it.sql, -1, SQLITE_PREPARE_PERSISTENT, &it.s->s, nullptr) != SQLITE_OK)
      return fail("prepare");
  }
  return {};
}

bool sqlite_store::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

result<std::vector<appended>> sqlite_store::append_in_tx(const bytes& space,
                                                         const std::vector<incoming_change>& batch) {
  std::vector<appended> out;
  out.reserve(batch.size());
  std::uint64_t next = 0;
  {
    use u(st_->max_seq);
    bind_blob(u.s, 1, space);
    if (sqlite3_step(u.s) != SQLITE_ROW) return fail("max");
    next = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 0));
  }
  const std::int64_t received = now_ms();
  for (const auto& c : batch) {
    if (c.seq == 0 || c.seq > max_sql_int) return make_error(errc::invalid_argument, "seq out of range");
    {
      // A replay, or the same change twice in one push: keep the first.
      use u(st_->find);
      bind_blob(u.s, 1, space);
      bind_blob(u.s, 2, c.actor);
      sqlite3_bind_int64(u.s, 3, static_cast<std::int64_t>(c.seq));
      int rc = sqlite3_step(u.s);
      if (rc == SQLITE_ROW) {
        out.push_back({static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 0)), false});
        continue;
      }
      if (rc != SQLITE_DONE) return fail("find");
    }
    ++next;
    use u(st_->insert);
    bind_blob(u.s, 1, space);
    sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(next));
    bind_blob(u.s, 3, c.actor);
    sqlite3_bind_int64(u.s, 4, static_cast<std::int64_t>(c.seq));
    bind_blob(u.s, 5, c.envelope);
    sqlite3_bind_int64(u.s, 6, received);
    bind_blob(u.s, 7, envelope_digest(c.envelope.data(), c.envelope.size()));
    if (sqlite3_step(u.s) != SQLITE_DONE) return fail("insert");
    out.push_back({next, true});
  }
  return out;
}

result<std::vector<appended>> sqlite_store::append(const bytes& space,
                                                   const std::vector<incoming_change>& batch) {
  auto all = append_group({append_request{space, batch}});
  return std::move(all.front());
}

std::vector<result<std::vector<appended>>> sqlite_store::append_group(const std::vector<append_request>& reqs) {
  std::vector<result<std::vector<appended>>> out;
  out.reserve(reqs.size());
  auto all_fail = [&](const error& e) {
    out.clear();
    for (std::size_t i = 0; i < reqs.size(); ++i) out.emplace_back(e);
    return out;
  };
  {
    use u(st_->begin);
    if (sqlite3_step(u.s) != SQLITE_DONE) return all_fail(fail("begin"));
  }
  for (const auto& r : reqs) {
    {
      use u(st_->sp_begin);
      if (sqlite3_step(u.s) != SQLITE_DONE) {
        error e = fail("savepoint");
        exec("ROLLBACK");
        return all_fail(e);
      }
    }
    auto res = append_in_tx(r.space, r.batch);
    if (res) {
      use u(st_->sp_release);
      sqlite3_step(u.s);
    } else {
      // This push alone is undone; the others of the group go on.
      { use u(st_->sp_rollback); sqlite3_step(u.s); }
      { use u(st_->sp_release); sqlite3_step(u.s); }
    }
    out.push_back(std::move(res));
  }
  {
    use u(st_->commit);
    if (sqlite3_step(u.s) != SQLITE_DONE) {
      // A failed COMMIT may leave the transaction open; roll it back so the
      // next group starts clean. Nothing of this group is stored.
      error e = fail("commit");
      exec("ROLLBACK");
      return all_fail(e);
    }
  }
  return out;
}

result<snapshot_progress> sqlite_store::put_snapshot_chunk(const bytes& space, const bytes& device,
                                                           std::uint64_t cursor, std::uint64_t total,
                                                           std::uint64_t offset, const bytes& chunk,
                                                           std::size_t keep) {
  if (cursor == 0 || cursor > max_sql_int || total == 0 || total > max_sql_int || chunk.empty() ||
      offset + chunk.size() > total)
    return make_error(errc::invalid_argument, "snapshot chunk out of bounds");
  {
    use u(st_->begin);
    if (sqlite3_step(u.s) != SQLITE_DONE) return fail("begin");
  }
  auto abort = [&](error e) -> error {
    exec("ROLLBACK");
    return e;
  };
  std::int64_t id = 0;
  std::uint64_t up_cursor = 0, up_total = 0, received = 0;
  {
    use u(st_->up_find);
    bind_blob(u.s, 1, space);
    bind_blob(u.s, 2, device);
    int rc = sqlite3_step(u.s);
    if (rc == SQLITE_ROW) {
      id = sqlite3_column_int64(u.s, 0);
      up_cursor = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 1));
      up_total = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 2));
      received = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 3));
    } else if (rc != SQLITE_DONE) {
      return abort(fail("upload find"));
    }
  }
  if (offset == 0) {
    if (id != 0) {
      use u(st_->up_delete);
      sqlite3_bind_int64(u.s, 1, id);
      if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("upload delete"));
    }
    use u(st_->up_insert);
    bind_blob(u.s, 1, space);
    bind_blob(u.s, 2, device);
    sqlite3_bind_int64(u.s, 3, static_cast<std::int64_t>(cursor));
    sqlite3_bind_int64(u.s, 4, static_cast<std::int64_t>(total));
    sqlite3_bind_int64(u.s, 5, now_ms());
    if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("upload insert"));
    id = sqlite3_last_insert_rowid(db_);
    received = 0;
  } else if (id == 0 || up_cursor != cursor || up_total != total || received != offset) {
    // Not the chunk we expect: store nothing, tell where to resume.
    exec("ROLLBACK");
    bool same = id != 0 && up_cursor == cursor && up_total == total;
    return snapshot_progress{same ? received : 0, false};
  }
  {
    use u(st_->chunk_insert);
    sqlite3_bind_int64(u.s, 1, id);
    sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(offset));
    bind_blob(u.s, 3, chunk);
    if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("chunk insert"));
  }
  received = offset + chunk.size();
  {
    use u(st_->up_progress);
    sqlite3_bind_int64(u.s, 1, id);
    sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(received));
    if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("upload progress"));
  }
  bool complete = received == total;
  if (complete) {
    std::int64_t existing = 0;
    {
      use u(st_->snap_complete_find);
      bind_blob(u.s, 1, space);
      sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(cursor));
      int rc = sqlite3_step(u.s);
      if (rc == SQLITE_ROW) existing = sqlite3_column_int64(u.s, 0);
      else if (rc != SQLITE_DONE) return abort(fail("snapshot find"));
    }
    if (existing != 0) {
      use u(st_->up_delete);  // same state already kept: first one wins
      sqlite3_bind_int64(u.s, 1, id);
      if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("snapshot dedupe"));
    } else {
      use u(st_->snap_complete);
      sqlite3_bind_int64(u.s, 1, id);
      if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("snapshot complete"));
    }
    {
      use u(st_->snap_prune);
      bind_blob(u.s, 1, space);
      sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(keep == 0 ? 1 : keep));
      if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("snapshot prune"));
    }
    {
      // Uploads abandoned for a day (devices that never came back).
      use u(st_->snap_stale);
      sqlite3_bind_int64(u.s, 1, now_ms() - 24LL * 3600 * 1000);
      if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("snapshot stale"));
    }
  }
  {
    use u(st_->commit);
    if (sqlite3_step(u.s) != SQLITE_DONE) return abort(fail("commit"));
  }
  return snapshot_progress{received, complete};
}

result<snapshot_chunk> sqlite_store::read_snapshot(const bytes& space, std::uint64_t cursor, std::uint64_t offset,
                                                   std::size_t max_bytes) {
  snapshot_chunk out;
  std::int64_t id = 0;
  {
    use u(cursor == 0 ? st_->snap_latest : st_->snap_by_cursor);
    bind_blob(u.s, 1, space);
    if (cursor != 0) sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(std::min(cursor, max_sql_int)));
    int rc = sqlite3_step(u.s);
    if (rc == SQLITE_DONE) {
      if (cursor == 0) return out;  // no snapshot yet
      return make_error(errc::not_found, "snapshot " + std::to_string(cursor) + " is no longer kept");
    }
    if (rc != SQLITE_ROW) return fail("snapshot find");
    id = sqlite3_column_int64(u.s, 0);
    out.meta.cursor = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 1));
    out.meta.total = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 2));
  }
  out.offset = offset;
  if (offset >= out.meta.total || max_bytes == 0) return out;
  use u(st_->chunk_at);
  sqlite3_bind_int64(u.s, 1, id);
  sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(offset));
  int rc = sqlite3_step(u.s);
  if (rc != SQLITE_ROW) return fail("snapshot chunk");
  auto start = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 0));
  const auto* d = static_cast<const std::uint8_t*>(sqlite3_column_blob(u.s, 1));
  auto n = static_cast<std::uint64_t>(sqlite3_column_bytes(u.s, 1));
  if (offset - start >= n) return make_error(errc::corrupt_replica, "snapshot chunk missing");
  std::uint64_t take = std::min<std::uint64_t>(n - (offset - start), max_bytes);
  out.data.assign(d + (offset - start), d + (offset - start) + take);
  return out;
}

result<page> sqlite_store::changes_since(const bytes& space, std::uint64_t since,
                                         std::uint32_t max_count, std::size_t max_bytes) {
  page p;
  p.next = since;
  if (max_count == 0) {
    // A zero budget still tells the reader whether anything is waiting.
    auto c = cursor(space);
    if (!c) return c.err();
    p.more = c.value() > since;
    return p;
  }
  if (since > max_sql_int) return p;  // nothing can be stored above it
  use u(st_->since);
  bind_blob(u.s, 1, space);
  sqlite3_bind_int64(u.s, 2, static_cast<std::int64_t>(since));
  // One extra row tells whether more remain without a second query.
  sqlite3_bind_int64(u.s, 3, static_cast<std::int64_t>(max_count) + 1);
  std::size_t total = 0;
  for (;;) {
    int rc = sqlite3_step(u.s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return fail("since");
    if (p.items.size() == max_count) {
      p.more = true;
      break;
    }
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(u.s, 1));
    std::size_t n = static_cast<std::size_t>(sqlite3_column_bytes(u.s, 1));
    if (!p.items.empty() && total + n > max_bytes) {
      p.more = true;
      break;
    }
    total += n;
    stored s;
    s.server_seq = static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 0));
    // Damage on disk is an error for that change, never its bytes.
    const auto* want = static_cast<const std::uint8_t*>(sqlite3_column_blob(u.s, 2));
    auto have = envelope_digest(data, n);
    if (static_cast<std::size_t>(sqlite3_column_bytes(u.s, 2)) != have.size() ||
        std::memcmp(want, have.data(), have.size()) != 0)
      return make_error(errc::damaged, "stored change " + std::to_string(s.server_seq) + " of space " +
                                           to_hex(space) + " in " + path_ + " fails its digest");
    s.envelope.assign(data, data + n);
    p.next = s.server_seq;
    p.items.push_back(std::move(s));
  }
  return p;
}

result<std::uint64_t> sqlite_store::cursor(const bytes& space) {
  use u(st_->max_seq);
  bind_blob(u.s, 1, space);
  if (sqlite3_step(u.s) != SQLITE_ROW) return fail("cursor");
  return static_cast<std::uint64_t>(sqlite3_column_int64(u.s, 0));
}

result<bytes> sqlite_store::ensure_default_space(const bytes& candidate) {
  static const std::string key = "default_space";
  {
    use u(st_->meta_get);
    sqlite3_bind_text(u.s, 1, key.c_str(), -1, SQLITE_STATIC);
    int rc = sqlite3_step(u.s);
    if (rc == SQLITE_ROW) {
      const auto* d = static_cast<const std::uint8_t*>(sqlite3_column_blob(u.s, 0));
      return bytes(d, d + sqlite3_column_bytes(u.s, 0));
    }
    if (rc != SQLITE_DONE) return fail("meta get");
  }
  use u(st_->meta_put);
  sqlite3_bind_text(u.s, 1, key.c_str(), -1, SQLITE_STATIC);
  bind_blob(u.s, 2, candidate);
  if (sqlite3_step(u.s) != SQLITE_DONE) return fail("meta put");
  return candidate;
}

result<void> sqlite_store::put_lease(const bytes& space, const bytes& device, const bytes& sealed) {
  use u(st_->lease_put);
  bind_blob(u.s, 1, space);
  bind_blob(u.s, 2, device);
  bind_blob(u.s, 3, sealed);
  if (sqlite3_step(u.s) != SQLITE_DONE) return fail("lease put");
  return {};
}

result<bytes> sqlite_store::lease(const bytes& space, const bytes& device) {
  use u(st_->lease_get);
  bind_blob(u.s, 1, space);
  bind_blob(u.s, 2, device);
  int rc = sqlite3_step(u.s);
  if (rc == SQLITE_DONE) return bytes{};
  if (rc != SQLITE_ROW) return fail("lease get");
  const auto* d = static_cast<const std::uint8_t*>(sqlite3_column_blob(u.s, 0));
  return bytes(d, d + sqlite3_column_bytes(u.s, 0));
}

}  // namespace packline::server
