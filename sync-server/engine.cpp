// Verification pool and store thread with group commit (see engine.hpp).
// Ordering: the store thread takes jobs in FIFO order and posts completions in
// that order, so the io thread sees pushes of a space in server-sequence
// order (the hub publishes live frames in that order). A session has one
// request in flight, so its own requests cannot overtake each other.
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
        sq_.push_back(store_item{std::move(owned), {}});
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
    sq_.push_back(store_item{nullptr, std::move(job)});
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
  std::vector<std::unique_ptr<append_item>> group;
  for (;;) {
    std::deque<store_item> batch;
    {
      std::unique_lock<std::mutex> l(smu_);
      scv_.wait(l, [&] { return sstop_ || !sq_.empty(); });
      if (sq_.empty()) return;  // stopping and drained
      batch.swap(sq_);
    }
    stats_.store_queue.fetch_sub(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    // Consecutive pushes form one group commit; any other job flushes the
    // group first so FIFO order holds (a pull sees every earlier ack).
    std::size_t group_changes = 0;
    for (auto& it : batch) {
      if (it.append) {
        group_changes += it.append->job.batch.size();
        group.push_back(std::move(it.append));
        if (group_changes >= tuning::group_commit_max_changes) {
          flush_group(group);
          group_changes = 0;
        }
      } else {
        flush_group(group);
        group_changes = 0;
        it.job(db_);
      }
    }
    flush_group(group);
  }
}

}  // namespace packline::server
