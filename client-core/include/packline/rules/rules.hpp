// The panel's role rules, in one place: who may write which
// field of which row. The workflow checks every op before it commits; replica
// apply calls the same check() on remote changes so that every
// replica accepts and rejects the same writes. Pure functions, no I/O.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/wire/change.hpp"
#include "packline/base/result.hpp"

namespace packline::rules {

enum class role : std::uint8_t { none, chair, vice_chair, member, independent_member, clerk, officer };

role parse_role(std::string_view s);  // "chair", "vice_chair", ...; anything else is none
const char* to_string(role r);
// Chair or vice-chair: may edit the consolidated list.
inline bool chairs(role r) { return r == role::chair || r == role::vice_chair; }
// Sits on the panel and may draft questions and annotate.
inline bool panel_member(role r) {
  return r == role::chair || r == role::vice_chair || r == role::member || r == role::independent_member;
}

// One field write as the rules see it: who writes (a member id, 16 bytes),
// which row, and what is known about the row before the write.
struct row_change {
  std::string table;
  bytes row;
  std::string field;
  value val;
  bytes actor;               // member writing
  bool row_exists = false;   // the row had fields before this change
  bytes row_author;          // the row's author_field() value (empty for a new row)
  bool names_author = false;  // the change writes the row's author_field() (sets_field)
  std::vector<bytes> leads;  // kloe: lead members of the kloe's priority (see lead_ids)
  bool panel_has_clerk = true;  // member: a new panel's first member may make themself clerk
};

// ok, or errc::forbidden with a sentence naming the rule that was broken.
// A write that creates a row is judged as an update by the row's author: a
// new row names its writer as author (and created_by), and its first status
// and every field pass the rules an update by its author would.
result<void> check(const row_change& c, role actor_role);

// Does the change `ops` write `field` of (table, row)?
bool sets_field(const std::vector<op>& ops, std::string_view table, const bytes& row, std::string_view field);

// A priority's `leads` field (comma-separated hex member ids) as ids.
std::vector<bytes> lead_ids(std::string_view leads);
// The priority whose leads may write a kloe: the row's (`existing`), or the
// one the kloe is created with in `ops`.
bytes kloe_priority(const bytes& existing, const std::vector<op>& ops, const bytes& kloe);

// The field naming a row's owner, whom the rules compare with the writer:
// question/annotation author, kloe owner, a read mark's member; nullptr for
// tables without one.
const char* author_field(std::string_view table);

// Question statuses a draft moves through.
bool valid_question_status(std::string_view s);

}  // namespace packline::rules
