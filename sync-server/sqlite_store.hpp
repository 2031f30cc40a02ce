// The default store: one SQLite database (WAL, synchronous=FULL) in the data
// folder. The only server file that includes sqlite3.h is sqlite_store.cpp.
// Not thread-safe: one thread (the io_context's) uses an instance at a time.
#pragma once
#include <memory>
#include <string>

#include "store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace packline::server {

class sqlite_store final : public store {
 public:
  // Opens (creating the folder and the database if needed) `<dir>/server.db`
  // and applies the embedded migrations of schema/server.
  static result<std::unique_ptr<sqlite_store>> open(const std::string& dir);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  result<std::vector<appended>> append(const bytes& space,
                                       const std::vector<incoming_change>& batch) override;
  result<page> changes_since(const bytes& space, std::uint64_t since, std::uint32_t max_count,
                             std::size_t max_bytes) override;
  result<std::uint64_t> cursor(const bytes& space) override;
  result<bytes> ensure_default_space(const bytes& candidate) override;

  // PRAGMA user_version after migrations (for tests and the start-up log).
  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  struct statements;
  sqlite_store() = default;
  result<void> migrate();
  result<void> prepare();
  error fail(const char* what);

  sqlite3* db_ = nullptr;
  std::unique_ptr<statements> st_;
  std::string path_;
  int schema_version_ = 0;
};

}  // namespace packline::server
