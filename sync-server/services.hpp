// Where a session's slow work runs: envelope signature checks and store
// calls. sync_handler asks a `services` for them and gets its answer back on
// the io thread through complete(). Two implementations: inline_services
// (everything at once on the calling thread: tests, tools) and engine
// (engine.hpp: a verification pool and one store thread with group commit).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/wire/change.hpp"
#include "packline/base/result.hpp"
#include "store.hpp"

namespace packline::server {

// A push that has passed the io thread's cheap checks (shape, space, actor).
struct push_job {
  bytes space;
  std::vector<envelope> envelopes;  // decoded, for the signature checks
  std::vector<incoming_change> batch;  // what is stored (raw envelopes)
};

// What became of a push.
struct push_outcome {
  std::uint32_t bad_signature_at = 0;  // > 0: envelope #n (1-based) did not verify; nothing stored
  std::string why;                     // with bad_signature_at
  result<std::vector<appended>> stored = std::vector<appended>{};
  // The new changes as one encoded `live` frame for the space's sessions
  // (null when nothing new was stored), and the sequence range it covers.
  std::shared_ptr<const bytes> live;
  std::uint64_t live_prev = 0;
  std::uint64_t live_last = 0;
};

class services {
 public:
  virtual ~services() = default;
  // Verifies every signature, then (all good) stores the batch durably;
  // done() runs on the io thread.
  virtual void push(push_job job, std::function<void(push_outcome)> done) = 0;
  // Runs `job` with exclusive use of the store (the store thread). The job
  // must hand its result back through complete(), moving what it captured.
  virtual void run(std::function<void(store&)> job) = 0;
  // Runs `fn` on the io thread.
  virtual void complete(std::function<void()> fn) = 0;
  // The secured spaces' keyrings, kept in memory across sessions (io thread only).
  virtual membership& keyrings() = 0;
};

// Verifies and encodes the live frame: shared by both implementations.
push_outcome verify_push(const push_job& job);
void finish_push(const push_job& job, push_outcome& out);

// Everything inline on the caller's thread (tests, single-threaded tools).
class inline_services final : public services {
 public:
  explicit inline_services(store& db) : db_(db) {}
  void push(push_job job, std::function<void(push_outcome)> done) override;
  void run(std::function<void(store&)> job) override { job(db_); }
  void complete(std::function<void()> fn) override { fn(); }
  membership& keyrings() override { return db_.keyrings(); }

 private:
  store& db_;
};

}  // namespace packline::server
