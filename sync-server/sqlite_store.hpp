// The default store: one SQLite database (WAL, synchronous=FULL) in the data
// folder. The only server file that includes sqlite3.h is sqlite_store.cpp.
// Not thread-safe: one thread (the server's store thread) uses an instance at a time.
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace packline::server {

class sqlite_store final : public store {
 public:
  // Opens (creating the folder and the database if needed) `<dir>/server.db`
  // and applies the embedded migrations of schema/server.
  static result<std::unique_ptr<sqlite_store>> open(const std::string& dir);
  // A consistent copy of `<dir>/server.db` as `<dest_dir>/server.db`, taken
  // with SQLite's online backup API in one read transaction, so a running
  // server goes on writing meanwhile; the copy is then checked with
  // integrity_check. Never overwrites an existing copy. Returns its size.
  static result<std::uint64_t> backup(const std::string& dir, const std::string& dest_dir);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  result<std::vector<appended>> append(const bytes& space,
                                       const std::vector<incoming_change>& batch) override;
  // One transaction (one WAL sync) for every request; a request that fails
  // is rolled back to its savepoint alone.
  std::vector<result<std::vector<appended>>> append_group(const std::vector<append_request>& reqs) override;
  result<snapshot_progress> put_snapshot_chunk(const bytes& space, const bytes& device, std::uint64_t cursor,
                                               std::uint64_t total, std::uint64_t offset, const bytes& chunk,
                                               std::size_t keep) override;
  result<snapshot_chunk> read_snapshot(const bytes& space, std::uint64_t cursor, std::uint64_t offset,
                                       std::size_t max_bytes) override;
  result<page> changes_since(const bytes& space, std::uint64_t since, std::uint32_t max_count,
                             std::size_t max_bytes) override;
  result<std::uint64_t> cursor(const bytes& space) override;
  result<bytes> ensure_default_space(const bytes& candidate) override;
  result<void> put_lease(const bytes& space, const bytes& device, const bytes& sealed) override;
  result<bytes> lease(const bytes& space, const bytes& device) override;


  // PRAGMA user_version after migrations (for tests and the start-up log).
  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }
  // What the start-up integrity check found: "ok", or "incomplete" when
  // the store was too big to check within its time budget.
  const std::string& integrity() const { return integrity_; }

 private:
  struct statements;
  sqlite_store() = default;
  // Opening: a bounded quick_check (a damaged file is refused, naming it),
  // then migrations, then digests for rows stored before they existed.
  result<void> check_integrity();
  result<void> migrate();
  result<void> backfill_digests();
  result<void> prepare();
  error fail(const char* what);
  // The inserts of one batch inside an open transaction.
  result<std::vector<appended>> append_in_tx(const bytes& space, const std::vector<incoming_change>& batch);
  bool exec(const char* sql);

  sqlite3* db_ = nullptr;
  std::unique_ptr<statements> st_;
  std::string path_;
  std::string integrity_;
  int schema_version_ = 0;

  // WAL checkpoints on their own connection and thread (PASSIVE: they never
  // block the writer), so a commit does not stall behind copying the WAL
  // into the database and its fsync. See tuning::wal_checkpoint_interval.
  void checkpoint_loop();
  sqlite3* ckpt_db_ = nullptr;
  std::thread ckpt_thread_;
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  bool ckpt_stop_ = false;
};

}  // namespace packline::server
