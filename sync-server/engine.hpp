// The server's work off the io thread. Signature checks run on a small pool
// (they are the CPU cost of a push and must not serialise on one core); every
// store call runs on ONE store thread, which commits all pushes waiting at
// that moment in one transaction (group commit: one WAL sync acknowledges
// them all). Results go back to the io thread through the `post` function
// given at construction. No Beast here: plain threads.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "metrics.hpp"
#include "services.hpp"

namespace packline::server {

class engine final : public services {
 public:
  using poster = std::function<void(std::function<void()>)>;
  // `db` and `stats` outlive the engine; `post` queues a function on the io thread.
  engine(store& db, metrics& stats, poster post, unsigned verify_threads);
  ~engine() override;  // stop()
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  void push(push_job job, std::function<void(push_outcome)> done) override;
  void run(std::function<void(store&)> job) override;
  void complete(std::function<void()> fn) override { post_(std::move(fn)); }
  membership& keyrings() override { return db_.keyrings(); }

  // Finishes every job already queued (their completions are posted), then
  // joins the threads. Idempotent.
  void stop();

 private:
  struct append_item {
    push_job job;
    push_outcome out;
    std::function<void(push_outcome)> done;
  };
  void verify_loop();
  void store_loop();
  void flush_group(std::vector<std::unique_ptr<append_item>>& group);

  store& db_;
  metrics& stats_;
  poster post_;

  std::mutex vmu_;
  std::condition_variable vcv_;
  std::deque<std::function<void()>> vq_;
  bool vstop_ = false;
  std::vector<std::thread> verifiers_;

  std::mutex smu_;
  std::condition_variable scv_;
  std::deque<std::unique_ptr<append_item>> pushes_;  // verified, waiting to be stored
  std::deque<std::function<void(store&)>> jobs_;     // everything else, in order
  bool sstop_ = false;
  std::thread store_thread_;
  bool stopped_ = false;
};

}  // namespace packline::server
