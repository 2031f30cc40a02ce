// Error handling for client-core: no exceptions (Emscripten aborts on throw),
// every fallible call returns result<T>. One error enum with one message each;
// the server and the bindings convert at their own boundary.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace packline {

// Every error code, once: its name, its number (stable: it crosses to the
// webapp and is never reused) and its message in plain words, used when no
// better text exists. The enum, errc_message() and the webapp's error numbers
// (webapp/src/records.ts, written by records_gen) all come from this list.
#define PACKLINE_ERRORS(X)                                                                                     \
  X(ok, 0, "ok")                                                                                                \
  /* bytes are not a well-formed message/record */                                                            \
  X(malformed, 1, "the data is not in the expected format")                                                    \
  /* over a limit in limits.hpp */                                                                             \
  X(too_large, 2, "the data is larger than allowed")                                                           \
  /* message or call not allowed now */                                                                        \
  X(bad_state, 3, "that step is not allowed now")                                                              \
  /* challenge signature did not verify */                                                                     \
  X(auth_failed, 4, "this device could not prove its identity")                                                \
  /* envelope signature did not verify */                                                                      \
  X(bad_signature, 5, "a change's signature does not match its device")                                       \
  /* envelope for another space */                                                                             \
  X(wrong_space, 6, "a change belongs to another panel")                                                       \
  /* envelope signed by another device than the session's */                                                   \
  X(not_actor, 7, "a device sent a change signed by another device")                                           \
  /* protocol version not spoken */                                                                            \
  X(unsupported_version, 8, "the other side speaks a different protocol version")                              \
  /* the store failed; nothing was lost, retry */                                                              \
  X(storage, 9, "the change could not be stored; it will be retried")                                          \
  /* no such row/meeting/item */                                                                               \
  X(not_found, 10, "not found")                                                                                \
  /* caller passed a value the call cannot use */                                                              \
  X(invalid_argument, 11, "a value given is not usable")                                                       \
  /* no longer produced (a change is never refused for its time); the number stays taken */                    \
  X(clock_skew, 12, "a change is dated too far in the future")                                                 \
  /* replica image is damaged */                                                                               \
  X(corrupt_replica, 13, "the stored data on this device is damaged")                                          \
  /* crypto primitive failed (e.g. no randomness) */                                                           \
  X(crypto, 14, "a cryptographic operation failed")                                                            \
  /* secured panels: the stored replica does not open with this passphrase */                                  \
  X(wrong_passphrase, 15, "the passphrase is not the one this device's data was locked with")                  \
  /* the device is not a member of the (secured) panel */                                                      \
  X(not_member, 16, "this device is not a member of the panel")                                                \
  /* the device or its member was removed from the panel */                                                    \
  X(revoked, 17, "this device has been removed from the panel")                                                \
  /* offline longer than the panel's lease: the copy is locked until the server hands back its key */          \
  X(lease_expired, 18,                                                                                         \
    "this device has been offline longer than the panel allows; connect to the server to open it again")       \
  /* no space key of that epoch on this device (yet) */                                                        \
  X(no_key, 19, "this device does not hold the key for that part of the panel's data")                         \
  /* an authentic change breaks the panel's rules or keyring */                                                \
  X(forbidden, 20, "a change breaks the panel's rules")                                                        \
  /* the server's stored data is damaged (failed its digest or integrity check) */                             \
  X(damaged, 21, "the server's copy of this panel is damaged; its operator must restore it from a backup")     \
  /* a change sealed under a key the panel has replaced: pull the keyring, re-seal, push again */              \
  X(superseded, 22, "a change was sealed under a key the panel has replaced; it is re-sealed and sent again")

enum class errc : std::uint32_t {
#define PACKLINE_ERRC_ENUM(name, number, message) name = number,
  PACKLINE_ERRORS(PACKLINE_ERRC_ENUM)
#undef PACKLINE_ERRC_ENUM
};

// The code's message in plain words ("unknown error" for a number not listed).
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
