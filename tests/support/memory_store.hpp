// An in-memory store (store.hpp) for tests: the second implementation of the
// interface, written only from its contract. server_store_test runs the same
// contract cases against it and sqlite_store, so a third implementation (a
// distributed SQL one) has an executable specification to pass. Not durable
// (nothing here survives the process), otherwise the same behaviour.
#pragma once
#include <algorithm>
#include <map>
#include <tuple>

#include "store.hpp"

namespace packline::test {

class memory_store final : public server::store {
 public:
  result<std::vector<server::appended>> append(const bytes& space,
                                               const std::vector<server::incoming_change>& batch) override {
    for (const auto& c : batch)
      if (c.seq == 0 || c.seq > static_cast<std::uint64_t>(INT64_MAX)) return make_error(errc::invalid_argument, "seq out of range");
    auto& sp = spaces_[space];
    std::vector<server::appended> out;
    std::map<std::pair<bytes, std::uint64_t>, std::uint64_t> added;  // within this batch
    std::uint64_t next = sp.log.size();
    for (const auto& c : batch) {
      auto key = std::make_pair(c.actor, c.seq);
      if (auto it = sp.by_actor.find(key); it != sp.by_actor.end()) { out.push_back({it->second, false}); continue; }
      if (auto it = added.find(key); it != added.end()) { out.push_back({it->second, false}); continue; }
      added[key] = ++next;
      out.push_back({next, true});
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!out[i].inserted) continue;
      sp.log.push_back(batch[i].envelope);
      sp.by_actor[{batch[i].actor, batch[i].seq}] = out[i].server_seq;
    }
    return out;
  }

  result<server::page> changes_since(const bytes& space, std::uint64_t since, std::uint32_t max_count,
                                     std::size_t max_bytes) override {
    server::page p;
    p.next = since;
    auto& log = spaces_[space].log;
    std::size_t total = 0;
    for (std::uint64_t s = since + 1; s <= log.size(); ++s) {
      const bytes& e = log[s - 1];
      if (p.items.size() == max_count || (!p.items.empty() && total + e.size() > max_bytes)) {
        p.more = true;
        break;
      }
      total += e.size();
      p.items.push_back({s, e});
      p.next = s;
    }
    if (max_count == 0) p.more = log.size() > since;
    return p;
  }

  result<std::uint64_t> cursor(const bytes& space) override { return std::uint64_t{spaces_[space].log.size()}; }

  result<void> put_lease(const bytes& space, const bytes& device, const bytes& sealed) override {
    leases_[{space, device}] = sealed;
    return {};
  }
  result<bytes> lease(const bytes& space, const bytes& device) override {
    auto it = leases_.find({space, device});
    return it == leases_.end() ? bytes{} : it->second;
  }

  result<bytes> ensure_default_space(const bytes& candidate) override {
    if (default_space_.empty()) default_space_ = candidate;
    return default_space_;
  }

  result<server::snapshot_progress> put_snapshot_chunk(const bytes& space, const bytes& device, std::uint64_t cursor,
                                                       std::uint64_t total, std::uint64_t offset, const bytes& chunk,
                                                       std::size_t keep) override {
    if (cursor == 0 || total == 0 || chunk.empty() || offset + chunk.size() > total)
      return make_error(errc::invalid_argument, "snapshot chunk out of bounds");
    auto& sp = spaces_[space];
    auto key = device;
    if (offset == 0) {
      sp.uploads[key] = snap{cursor, total, {}};
    } else {
      auto it = sp.uploads.find(key);
      if (it == sp.uploads.end() || it->second.cursor != cursor || it->second.total != total ||
          it->second.data.size() != offset) {
        bool same = it != sp.uploads.end() && it->second.cursor == cursor && it->second.total == total;
        return server::snapshot_progress{same ? it->second.data.size() : 0, false};
      }
    }
    auto& up = sp.uploads[key];
    up.data.insert(up.data.end(), chunk.begin(), chunk.end());
    server::snapshot_progress p{up.data.size(), up.data.size() == total};
    if (p.complete) {
      if (!sp.complete.count(cursor)) sp.complete[cursor] = std::move(up);
      sp.uploads.erase(key);
      while (sp.complete.size() > std::max<std::size_t>(keep, 1)) sp.complete.erase(sp.complete.begin());
    }
    return p;
  }

  result<server::snapshot_chunk> read_snapshot(const bytes& space, std::uint64_t cursor, std::uint64_t offset,
                                               std::size_t max_bytes) override {
    server::snapshot_chunk out;
    auto& sp = spaces_[space];
    if (sp.complete.empty() && cursor == 0) return out;
    auto it = cursor == 0 ? std::prev(sp.complete.end()) : sp.complete.find(cursor);
    if (it == sp.complete.end()) return make_error(errc::not_found, "snapshot is no longer kept");
    out.meta = {it->first, it->second.total};
    out.offset = offset;
    if (offset < it->second.data.size()) {
      std::size_t n = std::min<std::size_t>(max_bytes, it->second.data.size() - offset);
      out.data.assign(it->second.data.begin() + static_cast<std::ptrdiff_t>(offset),
                      it->second.data.begin() + static_cast<std::ptrdiff_t>(offset + n));
    }
    return out;
  }

 private:
  struct snap {
    std::uint64_t cursor = 0, total = 0;
    bytes data;
  };
  struct space_state {
    std::vector<bytes> log;  // server_seq - 1
    std::map<std::pair<bytes, std::uint64_t>, std::uint64_t> by_actor;
    std::map<bytes, snap> uploads;
    std::map<std::uint64_t, snap> complete;
  };
  std::map<bytes, space_state> spaces_;
  std::map<std::pair<bytes, bytes>, bytes> leases_;
  bytes default_space_;
};

}  // namespace packline::test
