// The panel's workflow on top of a replica: members, meetings, agenda items and
// question drafts. Every client (web and native) goes through these calls.
#pragma once
#include <string>
#include <vector>

#include "packline/replica.hpp"

namespace packline::workflow {

struct member { std::string id, name, role; };
struct meeting { std::string id, title, date, time, venue, kind, status; };
struct agenda_item { std::string id, meeting, number, title, pages, description; bool exempt = false; };
struct question {
  std::string id, meeting, item, author, target, section, body, status;
  std::int64_t created_at = 0;
};

result<std::vector<member>> members(replica& r);
result<std::vector<meeting>> meetings(replica& r);
result<std::vector<agenda_item>> items(replica& r, const std::string& meeting_id);
result<std::vector<question>> questions(replica& r, const std::string& meeting_id);

// Draft a question on an agenda item as the member signed in on this device.
result<std::string> draft_question(replica& r, const std::string& item_id, const std::string& body,
                                   std::uint64_t now_ms);

// Which member this device acts for (a local setting).
std::string signed_in_member(replica& r);
result<void> sign_in(replica& r, const std::string& member_id);

}  // namespace packline::workflow
