// Error handling for client-core: no exceptions (Emscripten aborts on throw),
// every fallible call returns result<T>. One error enum with one message each;
// the server and the bindings convert at their own boundary.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace packline {

enum class errc : std::uint32_t {
  ok = 0,
  malformed = 1,            // bytes are not a well-formed message/record
  too_large = 2,            // over a limit in limits.hpp
  bad_state = 3,            // message or call not allowed now
  auth_failed = 4,          // challenge signature did not verify
  bad_signature = 5,        // envelope signature did not verify
  wrong_space = 6,          // envelope for another space
  not_actor = 7,            // envelope signed by another device than the session's
  unsupported_version = 8,  // protocol version not spoken
  storage = 9,              // the store failed; nothing was lost, retry
  not_found = 10,           // no such row/meeting/item
  invalid_argument = 11,    // caller passed a value the call cannot use
  clock_skew = 12,          // no longer produced (a change is never refused for its time); the number stays taken
  corrupt_replica = 13,     // replica image is damaged
  crypto = 14,              // crypto primitive failed (e.g. no randomness)
  // Secured panels: keys, membership and the replica at rest.
  wrong_passphrase = 15,    // the stored replica does not open with this passphrase
  not_member = 16,          // the device is not a member of the (secured) panel
  revoked = 17,             // the device or its member was removed from the panel
  lease_expired = 18,       // offline longer than the panel's lease: the copy is locked until the server hands back its key
  no_key = 19,              // no space key of that epoch on this device (yet)
  forbidden = 20,           // an authentic change breaks the panel's rules or keyring
  damaged = 21,             // the server's stored data is damaged (failed its digest or integrity check)
  superseded = 22,          // a change sealed under a key the panel has replaced: pull the keyring, re-seal, push again
};

// Plain-words description of each code, used when no better text exists.
const char* errc_message(errc e) noexcept;

struct error {
  errc code = errc::ok;
  std::string message;
};

inline error make_error(errc c, std::string msg = {}) {
  return error{c, msg.empty() ? std::string(errc_message(c)) : std::move(msg)};
}

template <class T>
class [[nodiscard]] result {
 public:
  result(T v) : v_(std::move(v)) {}
  result(error e) : v_(std::move(e)) {}
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : e_(std::move(e)), failed_(true) {}
  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const error& err() const { return e_; }

 private:
  error e_;
  bool failed_ = false;
};

}  // namespace packline

// Propagate an error from an expression returning result<...>.
#define PL_TRY(expr)                                   \
  do {                                                 \
    auto&& pl_try_r_ = (expr);                         \
    if (!pl_try_r_.ok()) return pl_try_r_.err();       \
  } while (0)
