// replica suite: LWW merge throughput and the cost of materialisation against
// plain SQLite inserts of the same rows. Prints JSON lines (bench/run). The
// plain-SQLite baseline is the only reason this file includes sqlite3.h.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "packline/wire/codec.hpp"
#include "packline/panel/demo.hpp"
#include "packline/base/limits.hpp"
#include "packline/replica/replica.hpp"

using namespace packline;
using clk = std::chrono::steady_clock;

namespace {
void emit(const char* c, const char* impl, const char* metric, double v, const char* unit) {
  std::printf("{\"suite\":\"replica\",\"case\":\"%s\",\"impl\":\"%s\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}\n", c, impl,
              metric, v, unit);
  std::fflush(stdout);
}
double ms_since(clk::time_point t) { return std::chrono::duration<double, std::milli>(clk::now() - t).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::unique_ptr<replica> fresh(std::mt19937_64& rng) {
  bytes seed(32);
  for (auto& b : seed) b = static_cast<std::uint8_t>(rng());
  auto r = replica::create(seed);
  (void)(*r)->set_space(demo::space_id());
  return std::move(*r);
}
bytes rid(std::mt19937_64& rng) {
  bytes b(16);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}
// One pulled page, applied as sync does (named, so profilers can find it).
[[gnu::noinline]] void apply_page(replica& r, const std::vector<bytes>& envs, std::size_t from, std::size_t to, std::uint64_t now) {
  std::vector<replica::page_change> page;
  for (std::size_t k = from; k < to; ++k) page.push_back({&envs[k], 0});
  (void)r.apply_page(page, now);
}
op set(const bytes& row, const char* field, value v) { return op{op_kind::set, "question", row, field, std::move(v), {}, {}}; }

// The same rows inserted with plain SQLite (in memory, transactions of 500)
// into the table `ddl` creates: ms.
double plain_inserts(const std::vector<bytes>& rows, std::uint64_t now, const char* ddl) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, ddl, nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO question(id, body, status, target, section, created_at) VALUES (?1,?2,?3,?4,?5,?6)", -1, &st, nullptr);
  auto t0 = clk::now();
  for (std::size_t i = 0; i < rows.size(); i += 500) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (std::size_t j = i; j < i + 500 && j < rows.size(); ++j) {
      sqlite3_bind_blob(st, 1, rows[j].data(), 16, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, "How will the Commissioner improve response times?", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, "draft", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 4, "PCC", -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 5, "In quarter", -1, SQLITE_STATIC);
      sqlite3_bind_int64(st, 6, static_cast<sqlite3_int64>(now));
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  double ms = ms_since(t0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ms;
}
}  // namespace

int main(int argc, char** argv) {
  // Optional argument: run only the case whose name starts with it.
  std::string only = argc > 1 ? argv[1] : "";
  std::mt19937_64 rng(1);
  const std::uint64_t now = 1'800'000'000'000;
  // Each case runs this many times; the medians are printed.
  const char* env_runs = std::getenv("PACKLINE_BENCH_RUNS");
  const int runs = std::max(1, env_runs ? std::atoi(env_runs) : 5);

  // 1. LWW merge: a replica of 10,000 rows receives 100,000 field updates
  // from 12 devices (changes of 100 updates each: signature check included).
  if (only.empty() || only.rfind("lww", 0) == 0) {
    auto base = fresh(rng);
    std::vector<bytes> rows;
    for (int i = 0; i < 10'000; ++i) rows.push_back(rid(rng));
    for (int i = 0; i < 10'000; i += 500) {
      std::vector<op> ops;
      for (int j = i; j < i + 500; ++j) {
        ops.push_back(set(rows[j], "status", std::string("draft")));
        ops.push_back(set(rows[j], "target", std::string("PCC")));
      }
      (void)base->commit(std::move(ops), now);
    }
    auto base_envs = base->pending(1'000'000);
    auto target = fresh(rng);
    for (auto& e : base_envs) (void)target->apply(e, 0, now + 1000);
    std::vector<std::vector<bytes>> streams(12);  // each device's changes, in its order
    const char* fields[] = {"status", "target", "section"};
    const char* values[] = {"draft", "submitted", "PCC", "Treasurer", "Finance"};
    for (int a = 0; a < 12; ++a) {
      auto dev = fresh(rng);
      for (auto& e : base_envs) (void)dev->apply(e, 0, now + 1000);
      for (int c = 0; c < (a < 4 ? 84 : 83); ++c) {  // 1,000 changes in all
        std::vector<op> ops;
        for (int k = 0; k < 100; ++k) ops.push_back(set(rows[rng() % rows.size()], fields[rng() % 3], std::string(values[rng() % 5])));
        (void)dev->commit(std::move(ops), now + 2000 + c);
        streams[a].push_back(dev->pending(1'000'000).back());
        (void)dev->acked(dev->device_id(), c + 1, 0);
      }
    }
    // Server order: the devices' pushes interleaved at random, each device's
    // in its own order (what a pull delivers).
    std::vector<bytes> envs;
    std::vector<std::size_t> next(12, 0);
    while (envs.size() < 1'000) {
      std::size_t a = rng() % 12;
      if (next[a] < streams[a].size()) envs.push_back(streams[a][next[a]++]);
    }
    std::vector<bytes> shuffled = envs;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    double n_ops = envs.size() * 100.0;
    auto start = *target->save();
    bytes want;
    auto run = [&](const char* c, const std::vector<bytes>& in, bool pages) {
      if (only.size() > 3 && only != c) return;  // "lww": all three; a case's full name: that one
      std::vector<double> total, write_back;
      std::size_t conflicts = 0;
      for (int k = 0; k < runs; ++k) {
        auto r = std::move(*replica::open(start));
        auto t0 = clk::now();
        if (pages) {  // as sync applies a pull: pages (max_pull_changes, max_frame_bytes), one batch each
          for (std::size_t i = 0; i < in.size();) {
            std::size_t j = i, bytes_in_page = 0;
            while (j < in.size() && j - i < limits::max_pull_changes && bytes_in_page + in[j].size() <= limits::max_frame_bytes)
              bytes_in_page += in[j++].size();
            apply_page(*r, in, i, j, now + 10'000);
            i = j;
          }
        } else {  // one change at a time, each its own transaction (live notifies)
          for (auto& e : in) (void)r->apply(e, 0, now + 10'000);
        }
        // Rows are written back lazily: the state is in the tables only after
        // flush() (or a read, or save()), so that is timed too.
        auto t1 = clk::now();
        (void)r->flush();
        write_back.push_back(ms_since(t1));
        total.push_back(ms_since(t0));
        conflicts = r->conflicts("question")->size();
        if (want.empty()) want = r->digest();
        else if (r->digest() != want) std::fprintf(stderr, "replica_bench: %s ends in a different state\n", c);
      }
      double ms = median(total);
      emit(c, "ours-native", "ops_per_s", n_ops / (ms / 1000), "ops/s");
      emit(c, "ours-native", "write_back_ms", median(write_back), "ms");
      emit(c, "ours-native", "ms", ms, "ms");
      emit(c, "ours-native", "conflicts", double(conflicts), "fields");
    };
    run("lww-merge/100k-updates-12-devices-10k-rows", envs, true);
    run("lww-merge/100k-updates-12-devices-10k-rows/one-by-one", envs, false);
    run("lww-merge/100k-updates-12-devices-10k-rows/shuffled", shuffled, true);
  }

  // 1b. Live edits: 10,000 one-op changes from 12 devices (what a meeting's
  // notifies deliver), each applied as it arrives: the cost per change.
  if (only.empty() || only.rfind("live", 0) == 0) {
    auto base = fresh(rng);
    std::vector<bytes> rows;
    for (int i = 0; i < 1'000; ++i) rows.push_back(rid(rng));
    std::vector<op> ops;
    for (auto& r : rows) ops.push_back(set(r, "status", std::string("draft")));
    (void)base->commit(std::move(ops), now);
    auto base_envs = base->pending(1'000);
    std::vector<std::unique_ptr<replica>> devs;
    for (int a = 0; a < 12; ++a) {
      devs.push_back(fresh(rng));
      for (auto& e : base_envs) (void)devs.back()->apply(e, 0, now + 1000);
    }
    std::vector<bytes> envs;
    for (int c = 0; c < 10'000; ++c) {
      replica& dev = *devs[rng() % 12];
      auto seq = dev.commit({set(rows[rng() % rows.size()], "status", std::string(c % 2 ? "submitted" : "draft"))}, now + 2000 + c);
      envs.push_back(dev.pending(1).back());
      (void)dev.acked(dev.device_id(), *seq, c + 1);
    }
    auto target = fresh(rng);
    for (auto& e : base_envs) (void)target->apply(e, 0, now + 1000);
    auto start = *target->save();
    std::vector<double> total;
    for (int k = 0; k < runs; ++k) {
      auto r = std::move(*replica::open(start));
      auto t0 = clk::now();
      for (auto& e : envs) (void)r->apply(e, 0, now + 20'000);
      (void)r->flush();
      total.push_back(ms_since(t0));
    }
    double ms = median(total);
    emit("live/10k-one-op-changes-12-devices", "ours-native", "changes_per_s", envs.size() / (ms / 1000), "changes/s");
    emit("live/10k-one-op-changes-12-devices", "ours-native", "us_per_change", ms * 1000 / envs.size(), "us");
  }

  // 2. Materialised inserts vs plain SQLite inserts of the same 20,000 rows
  // (5 fields each), both in memory, changes of 500 rows / transactions of 500.
  // Each side runs `runs` times, interleaved (so a noisy moment hits both);
  // the medians are compared.
  if (only.empty() || only.rfind("mat", 0) == 0) {
    const int n = 20'000, per = 500;
    std::vector<double> ours, commit, write_back, plain, plain_app;
    for (int run = 0; run < runs; ++run) {
      std::vector<bytes> rows;
      for (int i = 0; i < n; ++i) rows.push_back(rid(rng));
      auto r = fresh(rng);
      std::vector<std::vector<op>> changes;  // the input, made before the clock starts
      for (int i = 0; i < n; i += per) {
        std::vector<op>& ops = changes.emplace_back();
        ops.reserve(per * 5);
        for (int j = i; j < i + per; ++j) {
          ops.push_back(set(rows[j], "priority", std::string("How will the Commissioner improve response times?")));
          ops.push_back(set(rows[j], "status", std::string("draft")));
          ops.push_back(set(rows[j], "target", std::string("PCC")));
          ops.push_back(set(rows[j], "section", std::string("In quarter")));
          ops.push_back(set(rows[j], "created_at", std::int64_t(now)));
        }
      }
      auto t0 = clk::now();
      for (auto& ops : changes) (void)r->commit(std::move(ops), now);
      commit.push_back(ms_since(t0));
      auto t_flush = clk::now();
      (void)r->flush();  // the rows in the tables, as the plain inserts
      write_back.push_back(ms_since(t_flush));
      ours.push_back(commit.back() + write_back.back());
      if (r->rows("question")->size() != static_cast<std::size_t>(n)) std::fprintf(stderr, "replica_bench: rows missing\n");
      // Plain SQLite, two tables: a minimal one (id + the five fields), and the
      // app's own question table (schema/replica: 14 columns and the meeting
      // index) that the replica materialises into.
      plain.push_back(plain_inserts(rows, now, "CREATE TABLE question (id BLOB PRIMARY KEY, body TEXT, status TEXT, target TEXT, section TEXT, created_at INTEGER)"));
      plain_app.push_back(plain_inserts(rows, now,
          "CREATE TABLE question (id BLOB PRIMARY KEY, meeting BLOB, item BLOB, priority BLOB, author BLOB, target TEXT, section TEXT, "
          "body TEXT, status TEXT, created_by BLOB, created_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0, subparts INTEGER, "
          "submitted_at INTEGER); CREATE INDEX question_meeting ON question (meeting, created_at)"));
    }
    const char* c = "materialise/20k-rows-5-fields";
    double m_ours = median(ours), m_plain = median(plain), m_app = median(plain_app);
    emit(c, "ours-native", "ms", m_ours, "ms");
    emit(c, "ours-native", "commit_ms", median(commit), "ms");
    emit(c, "ours-native", "write_back_ms", median(write_back), "ms");
    emit(c, "sqlite-plain", "ms", m_plain, "ms");
    emit(c, "sqlite-plain-app-table", "ms", m_app, "ms");
    emit(c, "ours-native", "ratio_vs_plain", m_ours / m_plain, "x");
    emit(c, "ours-native", "ratio_vs_plain_app_table", m_ours / m_app, "x");
  }
  return 0;
}
