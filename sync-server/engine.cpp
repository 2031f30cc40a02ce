// Verification pool and store thread with group commit (see engine.hpp).
// Ordering: the store thread takes pushes in FIFO order and posts their
// completions in that order, so the io thread sees pushes of a space in
// server-sequence order (the hub publishes live frames in that order).
// Waiting pushes go before other jobs (pulls, snapshots, auth): a pull that
// runs later only sees more. A session has one request in flight, so its
// own requests cannot overtake each other.
#include "engine.hpp"

#include "log.hpp"
#include "tuning.hpp"

namespace packline::server {

engine::engine(store& db, metrics& stats, poster post, unsigned verify_threads)
    : db_(db), stats_(stats), post_(std::move(post)) {
  if (verify_threads == 0) verify_threads = 1;
  for (unsigned i = 0; i < verify_threads; ++i) verifiers_.emplace_back([this] { verify_loop(); });
  store_thread_ = std::thread([this] { store_loop(); });
}

engine::~engine() { stop(); }

void engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Verifiers first: what they finish still reaches the store queue.
  {
    std::lock_guard<std::mutex> l(vmu_);
    vstop_ = true;
  }
  vcv_.notify_all();
  for (auto& t : verifiers_) t.join();
  {
    std::lock_guard<std::mutex> l(smu_);
    sstop_ = true;
  }
  scv_.notify_all();
  store_thread_.join();
}

void engine::push(push_job job, std::function<void(push_outcome)> done) {
  auto item = std::make_shared<append_item>();
  item->job = std::move(job);
  item->done = std::move(done);
  stats_.verify_queue.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> l(vmu_);
    vq_.push_back([this, item]() mutable {
      item->out = verify_push(item->job);
      if (item->out.bad_signature_at != 0) {
        // Straight back: nothing to store.
        post_([done = std::move(item->done), out = std::move(item->out)]() mutable { done(std::move(out)); });
        return;
      }
      auto owned = std::make_unique<append_item>(std::move(*item));
      stats_.store_queue.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> sl(smu_);
        pushes_.push_back(std::move(owned));
      }
      scv_.notify_one();
    });
  }
  vcv_.notify_one();
}

void engine::run(std::function<void(store&)> job) {
  stats_.store_queue.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> l(smu_);
    jobs_.push_back(std::move(job));
  }
  scv_.notify_one();
}

void engine::verify_loop() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(vmu_);
      vcv_.wait(l, [&] { return vstop_ || !vq_.empty(); });
      if (vq_.empty()) return;  // stopping and drained
      fn = std::move(vq_.front());
      vq_.pop_front();
    }
    stats_.verify_queue.fetch_sub(1, std::memory_order_relaxed);
    fn();
  }
}

void engine::flush_group(std::vector<std::unique_ptr<append_item>>& group) {
  if (group.empty()) return;
  std::vector<append_request> reqs;
  reqs.reserve(group.size());
  std::size_t changes = 0;
  for (auto& g : group) {
    // The batch is needed again for the live frame: copy the request view.
    reqs.push_back(append_request{g->job.space, std::move(g->job.batch)});
    changes += reqs.back().batch.size();
  }
  auto results = db_.append_group(reqs);
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  stats_.committed_pushes.fetch_add(group.size(), std::memory_order_relaxed);
  for (std::size_t i = 0; i < group.size(); ++i) {
    auto& g = *group[i];
    g.job.batch = std::move(reqs[i].batch);
    g.out.stored = std::move(results[i]);
    finish_push(g.job, g.out);
    post_([done = std::move(g.done), out = std::move(g.out)]() mutable { done(std::move(out)); });
  }
  (void)changes;
  group.clear();
}

void engine::store_loop() {
  for (;;) {
    std::vector<std::unique_ptr<append_item>> group;
    std::function<void(store&)> job;
    {
      std::unique_lock<std::mutex> l(smu_);
      scv_.wait(l, [&] { return sstop_ || !pushes_.empty() || !jobs_.empty(); });
      if (pushes_.empty() && jobs_.empty()) return;  // stopping and drained
      // Every waiting push first, as one group commit: members' acks never
      // wait behind other sessions' page reads, and one sync covers them all.
      std::size_t changes = 0;
      while (!pushes_.empty() && changes < tuning::group_commit_max_changes) {
        changes += pushes_.front()->job.batch.size();
        group.push_back(std::move(pushes_.front()));
        pushes_.pop_front();
      }
      if (group.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    stats_.store_queue.fetch_sub(group.empty() ? 1 : static_cast<std::int64_t>(group.size()),
                                 std::memory_order_relaxed);
    if (!group.empty()) flush_group(group);
    else job(db_);
  }
}

}  // namespace packline::server
