// Role rules per table and field (see rules.hpp). Kept free of replica access
// so replica apply can call check() with what it knows about the row.
#include "packline/rules/rules.hpp"

#include <algorithm>
#include <array>

namespace packline::rules {
namespace {

result<void> refuse(std::string msg) { return make_error(errc::forbidden, std::move(msg)); }

std::string str(const value& v) { return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string{}; }

bool clerk_table(std::string_view t) {
  static constexpr std::array<std::string_view, 8> tables = {"meeting", "pack", "pack_item", "block", "agenda_correction",
                                                            "response", "action", "public_submission"};
  return std::find(tables.begin(), tables.end(), t) != tables.end();
}

}  // namespace

role parse_role(std::string_view s) {
  if (s == "chair") return role::chair;
  if (s == "vice_chair") return role::vice_chair;
  if (s == "member") return role::member;
  if (s == "independent_member") return role::independent_member;
  if (s == "clerk") return role::clerk;
  if (s == "officer") return role::officer;
  return role::none;
}

const char* to_string(role r) {
  switch (r) {
    case role::chair: return "chair";
    case role::vice_chair: return "vice_chair";
    case role::member: return "member";
    case role::independent_member: return "independent_member";
    case role::clerk: return "clerk";
    case role::officer: return "officer";
    case role::none: break;
  }
  return "none";
}

std::vector<bytes> lead_ids(std::string_view leads) {
  std::vector<bytes> out;
  for (std::size_t from = 0; from < leads.size();) {
    auto comma = leads.find(',', from);
    auto id = leads.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
    if (!id.empty()) out.push_back(from_hex(std::string(id)));
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  return out;
}

bytes kloe_priority(const bytes& existing, const std::vector<op>& ops, const bytes& kloe) {
  if (!existing.empty()) return existing;
  for (const op& p : ops)
    if (p.table == "kloe" && p.row == kloe && p.field == "priority" && std::holds_alternative<bytes>(p.val))
      return std::get<bytes>(p.val);
  return {};
}

const char* author_field(std::string_view table) {
  if (table == "question" || table == "annotation") return "author";
  if (table == "kloe") return "owner";
  if (table == "reading") return "member";
  return nullptr;
}

bool sets_field(const std::vector<op>& ops, std::string_view table, const bytes& row, std::string_view field) {
  return std::any_of(ops.begin(), ops.end(), [&](const op& o) { return o.table == table && o.row == row && o.field == field; });
}

bool valid_question_status(std::string_view s) {
  static constexpr std::array<std::string_view, 8> all = {"draft", "submitted", "consolidated", "asked",
                                                         "answered", "answered_in_writing", "withdrawn", "held_over"};
  return std::find(all.begin(), all.end(), s) != all.end();
}

result<void> check(const row_change& c, role r) {
  if (c.actor.size() != 16) return refuse("sign in as a panel member first");
  if (r == role::none) return refuse("this member has no role on the panel");
  const std::string& t = c.table;

  // A row names the member who made it, whoever writes it and whenever: its
  // author field and created_by hold only the writer's own id, and a new row
  // of a table with an author names its author in the change that makes it.
  const char* af = author_field(t);
  if (c.field == "created_by" || (af && c.field == af)) {
    bool own = std::holds_alternative<bytes>(c.val) && std::get<bytes>(c.val) == c.actor;
    if (!own) return refuse(t == "reading" ? "only the member records what they have read"
                                           : "a " + t + " names the member who writes it, never another member");
  }
  if (af && !c.row_exists && !c.names_author) return refuse("a new " + t + " names its author: the member who creates it");

  if (clerk_table(t)) {
    if (r != role::clerk) {
      if (t == "meeting" || t == "pack" || t == "pack_item" || t == "block")
        return refuse("only the clerk publishes packs and meetings");
      if (t == "agenda_correction") return refuse("only the clerk corrects the agenda");
      if (t == "public_submission") return refuse("only the clerk records public questions and statements");
      return refuse("only the clerk records responses and actions");
    }
    return {};
  }
  if (t == "member") {
    if (r == role::clerk || chairs(r)) return {};
    if (c.row != c.actor) return refuse("only the clerk or the chair edits another member");
    if (c.field == "role") {
      std::string want = str(c.val);
      if (want == "member" || want == "independent_member") return {};
      if (!c.panel_has_clerk) return {};  // a new panel's first member sets it up
      std::replace(want.begin(), want.end(), '_', want == "vice_chair" ? '-' : ' ');
      return refuse("only the clerk or the chair gives a member the role of " + want);
    }
    return {};
  }
  if (t == "question") {
    if (!c.row_exists && !panel_member(r)) return refuse("only panel members draft questions");
    bool author = !c.row_exists || c.row_author.empty() || c.row_author == c.actor;
    if (c.field == "status") {
      std::string s = str(c.val);
      if (!valid_question_status(s)) return refuse("'" + s + "' is not a question status");
      if (author && (s == "draft" || s == "submitted" || s == "withdrawn")) return {};
      if (chairs(r) && (s == "consolidated" || s == "held_over" || s == "asked" || s == "submitted")) return {};
      if (r == role::clerk && (s == "asked" || s == "answered" || s == "answered_in_writing" || s == "held_over"))
        return {};
      return refuse("a member may only submit or withdraw their own draft; the chair consolidates or holds it "
                    "over; the clerk records it as answered");
    }
    if (!author) return refuse("only the author edits a draft");
    return {};
  }
  if (t == "annotation") {
    if (!c.row_exists) return panel_member(r) || r == role::clerk || r == role::officer
                                  ? result<void>{}
                                  : refuse("only panel members annotate");
    if (!c.row_author.empty() && c.row_author != c.actor) return refuse("only the author edits an annotation");
    return {};
  }
  if (t == "consolidated_question") {
    if (!chairs(r)) return refuse("only the chair or vice-chair edits the final question list");
    return {};
  }
  if (t == "priority" || t == "group_key" || t == "panel_setting" || t == "forward_plan") {
    if (!chairs(r) && r != role::clerk) {
      // A priority's group key comes with its leads: a member who could
      // make one could make the leads share notes under a key they know.
      if (t == "priority" || t == "group_key") return refuse("only the chair or the clerk sets the plan's priorities and their leads");
      if (t == "forward_plan") return refuse("only the chair or the clerk edits the forward plan");
      return refuse("only the chair or the clerk changes the panel's rules");
    }
    return {};
  }
  if (t == "reading") {
    // What a member has read is theirs alone: the row names its
    // member, and only that member writes it.
    if (!c.row_author.empty() && c.row_author != c.actor) return refuse("only the member records what they have read");
    return {};
  }
  if (t == "kloe") {
    bool lead = std::find(c.leads.begin(), c.leads.end(), c.actor) != c.leads.end();
    // Any lead of the priority (not only the one who drafted it) edits its
    // KLOEs; the chair may too. A former lead keeps their own drafts.
    bool owner = c.row_exists && c.row_author == c.actor;
    if (lead || owner || chairs(r)) return {};
    return refuse(c.row_exists ? "only a lead of this priority edits its key lines of enquiry"
                               : "only a lead of this priority drafts its key lines of enquiry");
  }
  return {};
}

}  // namespace packline::rules
