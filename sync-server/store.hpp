// The server's store of sealed changes, per space, behind an interface so the
// SQLite default can be swapped (or faked in tests). A store is used by one
// thread at a time (the io_context thread); implementations need not lock.
// Every call that writes is durable when it returns successfully.
#pragma once
#include <cstdint>
#include <vector>

#include "packline/bytes.hpp"
#include "packline/result.hpp"

namespace packline::server {

// One verified envelope to store; actor and seq are read from it by the caller.
struct incoming_change {
  bytes actor;
  std::uint64_t seq = 0;
  bytes envelope;  // the encoded envelope exactly as pushed
};

// What append did for one incoming change, same order as the batch.
struct appended {
  std::uint64_t server_seq = 0;
  bool inserted = false;  // false: (space, actor, seq) was already stored
};

struct stored {
  std::uint64_t server_seq = 0;
  bytes envelope;
};

struct page {
  std::vector<stored> items;  // ascending server_seq
  std::uint64_t next = 0;     // pull from here next (last server_seq, or since)
  bool more = false;          // more changes exist after `next`
};

class store {
 public:
  virtual ~store() = default;

  // Stores the batch in one transaction, assigning consecutive server
  // sequences to the new changes; a (space, actor, seq) already stored keeps
  // its server sequence and is not stored again. Durable on success; on
  // failure nothing of the batch is stored (errc::storage).
  virtual result<std::vector<appended>> append(const bytes& space,
                                               const std::vector<incoming_change>& batch) = 0;

  // Changes with server_seq > since, ascending: at most max_count, and stops
  // before the sum of envelope sizes exceeds max_bytes (but always returns at
  // least one change when there is one, so a reader always makes progress).
  virtual result<page> changes_since(const bytes& space, std::uint64_t since,
                                     std::uint32_t max_count, std::size_t max_bytes) = 0;

  // Highest server sequence of the space (0 when empty).
  virtual result<std::uint64_t> cursor(const bytes& space) = 0;

  // The persisted default space: returns it if one was stored, otherwise
  // stores `candidate` and returns it.
  virtual result<bytes> ensure_default_space(const bytes& candidate) = 0;
};

}  // namespace packline::server
