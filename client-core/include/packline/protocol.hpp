// The sync protocol's messages (schema/PROTOCOL.md), as plain structs. This is
// the one protocol header; codec.hpp turns these into frames and back.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "packline/bytes.hpp"
#include "packline/result.hpp"

namespace packline::proto {

enum class msg_type : std::uint8_t {
  hello = 1, challenge = 2, auth = 3, welcome = 4, push = 5,
  ack = 6, pull = 7, changes = 8, notify = 9, error = 10,
};

struct hello { std::uint32_t version = 0; bytes device; bytes space; };
struct challenge { bytes nonce; bytes space; };
struct auth { bytes signature; };
struct welcome { bytes space; std::uint64_t cursor = 0; };
struct push { std::vector<bytes> envelopes; };
struct ack_entry { bytes actor; std::uint64_t seq = 0; std::uint64_t server_seq = 0; };
struct ack { std::vector<ack_entry> entries; };
struct pull { std::uint64_t since = 0; std::uint32_t max = 0; };
struct stored_change { std::uint64_t server_seq = 0; bytes envelope; };
struct changes { std::vector<stored_change> items; std::uint64_t next = 0; bool more = false; };
struct notify { std::uint64_t cursor = 0; };
struct error { std::uint32_t code = 0; std::string text; };

using message = std::variant<hello, challenge, auth, welcome, push, ack, pull, changes, notify, error>;

// Bytes signed by the device in `auth`.
bytes auth_transcript(const bytes& nonce, const bytes& space);

}  // namespace packline::proto
