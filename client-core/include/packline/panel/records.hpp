// Every record that crosses into the app, described once: its name in
// TypeScript and, per field, the JavaScript name, the C++ member, and where
// the C++ type says less than the app relies on, a TypeScript type and a
// note. The WASM binding converts records with these lists
// (wasm/binding.cpp); records_gen writes webapp/src/records.ts and the record
// tables of wasm/API.md from them, and the test "records" fails when either
// file differs from what it would write. A field added to a struct reaches
// JavaScript once it is listed here.
#pragma once
#include <tuple>
#include <type_traits>

#include "packline/panel/tablets.hpp"
#include "packline/panel/workflow.hpp"
#include "packline/replica/replica.hpp"
#include "packline/sync/sync.hpp"

namespace packline::records {

template <class S, class M>
struct field {
  const char* js;
  M S::*member;
  const char* ts = nullptr;    // TypeScript type, when narrower than the C++ type's
  const char* note = nullptr;  // for the TypeScript comment and API.md
  bool optional = false;       // an input the caller may leave out: the core's default applies
};
template <class S, class M>
constexpr field<S, M> f(const char* js, M S::*m, const char* ts = nullptr, const char* note = nullptr) {
  return {js, m, ts, note, false};
}
// A field of an input record that may be left out.
template <class S, class M>
constexpr field<S, M> opt(const char* js, M S::*m, const char* ts = nullptr, const char* note = nullptr) {
  return {js, m, ts, note, true};
}

// record<T>::name (TypeScript), ::note, ::fields (a tuple of field).
template <class T>
struct record;

template <class T>
concept described = requires { record<T>::fields; };

// Calls fn(field) for each field of T, in order.
template <class T, class F>
constexpr void each_field(F&& fn) {
  std::apply([&](const auto&... x) { (fn(x), ...); }, record<T>::fields);
}

namespace wf = packline::workflow;
namespace tb = packline::tablets;
inline constexpr const char* visibility_ts = "'private' | 'priority' | 'panel'";
inline constexpr const char* note_kind_ts = "'highlight' | 'note'";

// ---- members and tablets ----------------------------------------------------

template <>
struct record<wf::member> {
  static constexpr const char* name = "Member";
  static constexpr const char* note = "A member of the panel (client.members).";
  static constexpr auto fields = std::tuple{f("id", &wf::member::id), f("name", &wf::member::name), f("role", &wf::member::role)};
};
template <>
struct record<wf::invite> {
  static constexpr const char* name = "NewInvite";
  static constexpr const char* note = "An invite just made (client.inviteMember): the member's id and the code to hand over.";
  static constexpr auto fields = std::tuple{f("member", &wf::invite::member), f("code", &wf::invite::code)};
};
template <>
struct record<tb::tablet> {
  static constexpr const char* name = "Tablet";
  static constexpr const char* note = "One of a member's tablets, as the clerk's tablets desk lists it.";
  static constexpr auto fields = std::tuple{
      f("device", &tb::tablet::device, nullptr, "hex of the device key"),
      f("status", &tb::tablet::status, "'active' | 'revoked' | 'removed'", "removed: its member was removed"),
      f("joinedAt", &tb::tablet::joined_ms, nullptr, "0: the founder's own, enrolled when the panel was set up"),
      f("lastChangeAt", &tb::tablet::last_change_ms, nullptr, "newest change from it this tablet holds, by its clock; 0: none"),
      f("thisTablet", &tb::tablet::this_tablet),
      f("pending", &tb::tablet::pending, nullptr, "revoked or removed here, not yet on the server")};
};
template <>
struct record<tb::member> {
  static constexpr const char* name = "PanelMember";
  static constexpr const char* note = "A member with their tablets (the clerk's tablets desk).";
  static constexpr auto fields = std::tuple{
      f("id", &tb::member::id), f("name", &tb::member::name), f("role", &tb::member::role),
      f("removed", &tb::member::removed), f("pending", &tb::member::pending, nullptr, "removed here, not yet on the server"),
      f("tablets", &tb::member::tablets, nullptr, "in the order they joined")};
};
template <>
struct record<tb::invite> {
  static constexpr const char* name = "Invite";
  static constexpr const char* note = "An invite and what became of it (the clerk's tablets desk).";
  static constexpr auto fields = std::tuple{
      f("id", &tb::invite::id), f("member", &tb::invite::member), f("name", &tb::invite::name), f("role", &tb::invite::role),
      f("expiresAt", &tb::invite::expires_ms),
      f("status", &tb::invite::status, "'open' | 'used' | 'expired' | 'cancelled'", "cancelled: its member was removed first"),
      f("device", &tb::invite::device, nullptr, "the tablet that joined with it ('' unless used)"),
      f("usedAt", &tb::invite::used_ms),
      f("pending", &tb::invite::pending, nullptr, "made here, not yet on the server: it works once it is")};
};
template <>
struct record<tb::overview> {
  static constexpr const char* name = "TabletsOverview";
  static constexpr const char* note = "The clerk's tablets desk (client.tablets, admin device only).";
  static constexpr auto fields = std::tuple{f("members", &tb::overview::members, nullptr, "by name"),
                                            f("invites", &tb::overview::invites, nullptr, "newest expiry first")};
};

// ---- meetings and packs -------------------------------------------------------

template <>
struct record<wf::meeting> {
  static constexpr const char* name = "Meeting";
  static constexpr const char* note = "A meeting of the panel.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::meeting::id), f("title", &wf::meeting::title), f("date", &wf::meeting::date), f("time", &wf::meeting::time),
      f("venue", &wf::meeting::venue), f("kind", &wf::meeting::kind), f("status", &wf::meeting::status),
      f("body", &wf::meeting::body), f("chair", &wf::meeting::chair), f("viceChair", &wf::meeting::vice_chair),
      f("publicDeadline", &wf::meeting::public_deadline), f("pack", &wf::meeting::pack, nullptr, "the current version's id"),
      f("quorum", &wf::meeting::quorum)};
};
template <>
struct record<wf::agenda_item> {
  static constexpr const char* name = "Item";
  static constexpr const char* note = "An agenda item, in agenda order.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::agenda_item::id), f("meeting", &wf::agenda_item::meeting), f("number", &wf::agenda_item::number),
      f("title", &wf::agenda_item::title), f("pages", &wf::agenda_item::pages),
      f("description", &wf::agenda_item::description), f("exempt", &wf::agenda_item::exempt),
      f("firstPage", &wf::agenda_item::first_page), f("lastPage", &wf::agenda_item::last_page),
      f("document", &wf::agenda_item::document, nullptr, "title of the paper that follows"),
      f("removed", &wf::agenda_item::removed, nullptr, "dropped by a later version of the pack"),
      f("placed", &wf::agenda_item::placed, nullptr, "the clerk chose its pages in the reader")};
};
template <>
struct record<wf::pack_version> {
  static constexpr const char* name = "PackVersion";
  static constexpr const char* note = "One published version of a meeting's pack.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::pack_version::id), f("meeting", &wf::pack_version::meeting), f("title", &wf::pack_version::title),
      f("source", &wf::pack_version::source), f("kind", &wf::pack_version::kind),
      f("fingerprint", &wf::pack_version::fingerprint), f("version", &wf::pack_version::version),
      f("pages", &wf::pack_version::pages), f("blocks", &wf::pack_version::blocks),
      f("createdAt", &wf::pack_version::created_at)};
};
template <>
struct record<wf::block_view> {
  static constexpr const char* name = "Block";
  static constexpr const char* note = "A passage of the current version, in reading order.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::block_view::id), f("item", &wf::block_view::item),
      f("kind", &wf::block_view::kind, nullptr, "heading, paragraph, list_item, table_row, page_marker"),
      f("text", &wf::block_view::text), f("hash", &wf::block_view::hash), f("page", &wf::block_view::page),
      f("position", &wf::block_view::position)};
};
template <>
struct record<wf::block_change> {
  static constexpr const char* name = "BlockChange";
  static constexpr const char* note = "A passage added, removed or changed between two versions of a pack.";
  static constexpr auto fields = std::tuple{
      f("kind", &wf::block_change::kind, "'added' | 'removed' | 'changed'"), f("item", &wf::block_change::item),
      f("oldBlock", &wf::block_change::old_block), f("newBlock", &wf::block_change::new_block),
      f("oldText", &wf::block_change::old_text), f("newText", &wf::block_change::new_text),
      f("page", &wf::block_change::page)};
};
template <>
struct record<wf::reading> {
  static constexpr const char* name = "Reading";
  static constexpr const char* note = "The signed-in member's read mark on a meeting's pack (client.changedSinceRead).";
  static constexpr auto fields = std::tuple{
      f("meeting", &wf::reading::meeting),
      f("readPack", &wf::reading::read_pack, nullptr, "'': never marked (or the mark does not open on this tablet)"),
      f("currentPack", &wf::reading::current_pack), f("readVersion", &wf::reading::read_version),
      f("currentVersion", &wf::reading::current_version),
      f("changed", &wf::reading::changed, nullptr, "read version to current; empty when current or never marked")};
};
template <>
struct record<wf::member_match> {
  static constexpr const char* name = "MemberMatch";
  static constexpr const char* note = "A member the pack names, matched on the panel or to be added.";
  static constexpr auto fields = std::tuple{
      f("name", &wf::member_match::name), f("role", &wf::member_match::role),
      f("member", &wf::member_match::member, nullptr, "the panel member it matches ('': would be added)"),
      f("note", &wf::member_match::note, nullptr, "why a stated role is not given")};
};
template <>
struct record<wf::priority_match> {
  static constexpr const char* name = "PriorityMatch";
  static constexpr const char* note = "A plan priority the pack names, matched on the panel or to be added.";
  static constexpr auto fields = std::tuple{
      f("number", &wf::priority_match::number), f("title", &wf::priority_match::title),
      f("priority", &wf::priority_match::priority, nullptr, "the panel's priority it matches ('': would be added)")};
};
template <>
struct record<wf::correction_match> {
  static constexpr const char* name = "CorrectionMatch";
  static constexpr const char* note = "One of the clerk's corrections of an earlier version, as it would apply to this one.";
  static constexpr auto fields = std::tuple{
      f("item", &wf::correction_match::item), f("number", &wf::correction_match::number),
      f("title", &wf::correction_match::title),
      f("field", &wf::correction_match::field, nullptr, "added, title, number, position, pages, exempt"),
      f("value", &wf::correction_match::value, nullptr, "what it would be set to ('': nothing to do)"),
      f("what", &wf::correction_match::what, nullptr, "in plain words"), f("note", &wf::correction_match::note)};
};
template <>
struct record<wf::import_plan> {
  static constexpr const char* name = "ImportPlan";
  static constexpr const char* note = "What an import would do to the panel, for the clerk to confirm.";
  static constexpr auto fields = std::tuple{f("members", &wf::import_plan::members),
                                            f("priorities", &wf::import_plan::priorities),
                                            f("corrections", &wf::import_plan::corrections)};
};
template <>
struct record<wf::import_report> {
  static constexpr const char* name = "ImportReport";
  static constexpr const char* note = "What an import did (client.importPack).";
  static constexpr auto fields = std::tuple{
      f("meeting", &wf::import_report::meeting), f("pack", &wf::import_report::pack), f("kind", &wf::import_report::kind),
      f("version", &wf::import_report::version), f("items", &wf::import_report::items),
      f("blocks", &wf::import_report::blocks), f("changes", &wf::import_report::changes),
      f("forwardPlan", &wf::import_report::forward_plan), f("priorities", &wf::import_report::priorities),
      f("membersAdded", &wf::import_report::members, nullptr, "added from the front sheet's membership"),
      f("plan", &wf::import_report::plan),
      f("answers", &wf::import_report::answers, nullptr, "answers the documents record, kept as responses"),
      f("answersLinked", &wf::import_report::answers_linked, nullptr, "of them, tied to a question on the list"),
      f("answersUnplaced", &wf::import_report::answers_unplaced, nullptr,
        "minutes of a meeting the panel has no record of (not imported)"),
      f("answersToDrafts", &wf::import_report::answers_to_drafts, nullptr, "tied to a member's own draft as well"),
      f("corrections", &wf::import_report::corrections, nullptr, "the clerk's earlier corrections applied again"),
      f("unchanged", &wf::import_report::unchanged, nullptr, "the same file was already the current version"),
      f("changedBlocks", &wf::import_report::changed_blocks),
      f("annotations", &wf::import_report::annotations, nullptr, "where every annotation now stands")};
};

// ---- annotations and questions ------------------------------------------------

template <>
struct record<wf::annotation> {
  static constexpr const char* name = "Annotation";
  static constexpr const char* note = "A highlight or note on a pack (only those this member may read).";
  static constexpr auto fields = std::tuple{
      f("id", &wf::annotation::id), f("meeting", &wf::annotation::meeting), f("item", &wf::annotation::item),
      f("author", &wf::annotation::author), f("kind", &wf::annotation::kind, note_kind_ts),
      f("body", &wf::annotation::body), f("visibility", &wf::annotation::visibility, visibility_ts),
      f("priority", &wf::annotation::priority), f("quote", &wf::annotation::quote), f("prefix", &wf::annotation::prefix),
      f("suffix", &wf::annotation::suffix), f("start", &wf::annotation::start), f("end", &wf::annotation::end),
      f("createdAt", &wf::annotation::created_at),
      f("editedAt", &wf::annotation::edited_at, nullptr, "last edit by the author; 0: never edited"),
      f("status", &wf::annotation::status, "'exact' | 'moved' | 'text_changed' | 'orphaned'"),
      f("block", &wf::annotation::block, nullptr, "current block ('' when orphaned)"), f("page", &wf::annotation::page),
      f("curStart", &wf::annotation::cur_start), f("curEnd", &wf::annotation::cur_end),
      f("currentText", &wf::annotation::current_text, nullptr, "the text now under the anchor"),
      f("locked", &wf::annotation::locked, nullptr,
        "shared with a priority's leads under a key this tablet does not hold: no words here")};
};
template <>
struct record<wf::annotation_draft> {
  static constexpr const char* name = "AnnotationDraft";
  static constexpr const char* note = "A new annotation (client.annotate).";
  static constexpr auto fields = std::tuple{
      f("block", &wf::annotation_draft::block, nullptr, "a block of the current version"),
      f("start", &wf::annotation_draft::start, nullptr, "UTF-8 byte offset into the block's text"),
      f("end", &wf::annotation_draft::end), f("kind", &wf::annotation_draft::kind, note_kind_ts),
      f("body", &wf::annotation_draft::body), f("visibility", &wf::annotation_draft::visibility, visibility_ts),
      f("priority", &wf::annotation_draft::priority, nullptr, "for visibility 'priority'")};
};
template <>
struct record<wf::question> {
  static constexpr const char* name = "Question";
  static constexpr const char* note = "A member's draft question (another member's only once submitted).";
  static constexpr auto fields = std::tuple{
      f("id", &wf::question::id), f("meeting", &wf::question::meeting), f("item", &wf::question::item),
      f("author", &wf::question::author), f("target", &wf::question::target), f("section", &wf::question::section),
      f("body", &wf::question::body), f("status", &wf::question::status), f("createdAt", &wf::question::created_at),
      f("priority", &wf::question::priority), f("subparts", &wf::question::subparts),
      f("outcome", &wf::question::outcome, nullptr, "what became of the draft, once something has")};
};
template <>
struct record<wf::question_draft> {
  static constexpr const char* name = "QuestionDraft";
  static constexpr const char* note = "A question as a member drafts or edits it.";
  static constexpr auto fields = std::tuple{
      f("item", &wf::question_draft::item), f("body", &wf::question_draft::body),
      opt("priority", &wf::question_draft::priority), opt("target", &wf::question_draft::target),
      opt("section", &wf::question_draft::section), opt("subparts", &wf::question_draft::subparts)};
};
template <>
struct record<wf::panel_rules> {
  static constexpr const char* name = "PanelRules";
  static constexpr const char* note = "The panel's own rules (client.rules).";
  static constexpr auto fields = std::tuple{
      f("questionsPerCouncillor", &wf::panel_rules::questions_per_councillor),
      f("subpartsCount", &wf::panel_rules::subparts_count), f("publicMaxWords", &wf::panel_rules::public_max_words),
      f("publicPerPerson", &wf::panel_rules::public_per_person),
      f("publicAcceptFirst", &wf::panel_rules::public_accept_first),
      f("publicDeadlineRule", &wf::panel_rules::public_deadline_rule)};
};
template <>
struct record<wf::submission_draft> {
  static constexpr const char* name = "SubmissionDraft";
  static constexpr const char* note = "A public question or statement as the clerk records it.";
  static constexpr auto fields = std::tuple{
      f("meeting", &wf::submission_draft::meeting), f("name", &wf::submission_draft::name),
      f("kind", &wf::submission_draft::kind, "'question' | 'statement'"), f("body", &wf::submission_draft::body),
      f("receivedAt", &wf::submission_draft::received_at)};
};
template <>
struct record<wf::submission> {
  static constexpr const char* name = "Submission";
  static constexpr const char* note = "A public submission and the decision on it.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::submission::id), f("meeting", &wf::submission::meeting), f("name", &wf::submission::name),
      f("kind", &wf::submission::kind), f("body", &wf::submission::body), f("words", &wf::submission::words),
      f("receivedAt", &wf::submission::received_at), f("accepted", &wf::submission::accepted),
      f("reason", &wf::submission::reason, nullptr, "why not accepted, in plain words")};
};

// ---- the plan --------------------------------------------------------------------

template <>
struct record<wf::priority> {
  static constexpr const char* name = "Priority";
  static constexpr const char* note = "A priority of the plan the panel scrutinises.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::priority::id), f("number", &wf::priority::number), f("title", &wf::priority::title),
      f("plan", &wf::priority::plan), f("leads", &wf::priority::leads, nullptr, "member ids"),
      f("sharesNotes", &wf::priority::shares_notes, nullptr, "this tablet may share a note with the priority's leads")};
};
template <>
struct record<wf::kloe> {
  static constexpr const char* name = "Kloe";
  static constexpr const char* note = "A key line of enquiry of a priority.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::kloe::id), f("priority", &wf::kloe::priority), f("topic", &wf::kloe::topic), f("owner", &wf::kloe::owner),
      f("bullets", &wf::kloe::bullets), f("targetMeeting", &wf::kloe::target_meeting), f("approach", &wf::kloe::approach),
      f("status", &wf::kloe::status)};
};
template <>
struct record<wf::forward_item> {
  static constexpr const char* name = "ForwardItem";
  static constexpr const char* note = "A row of the forward plan.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::forward_item::id), f("meetingLabel", &wf::forward_item::meeting_label),
      f("meetingDate", &wf::forward_item::meeting_date), f("title", &wf::forward_item::title),
      f("notes", &wf::forward_item::notes), f("raisedBy", &wf::forward_item::raised_by), f("lead", &wf::forward_item::lead),
      f("kloes", &wf::forward_item::kloes), f("approach", &wf::forward_item::approach),
      f("position", &wf::forward_item::position)};
};

// ---- the chair's list and after the meeting ------------------------------------

template <>
struct record<wf::consolidated> {
  static constexpr const char* name = "Consolidated";
  static constexpr const char* note = "A question on the chair's list (or a group of drafts not merged yet).";
  static constexpr auto fields = std::tuple{
      f("id", &wf::consolidated::id), f("meeting", &wf::consolidated::meeting), f("position", &wf::consolidated::position),
      f("section", &wf::consolidated::section), f("body", &wf::consolidated::body), f("lead", &wf::consolidated::lead),
      f("leadLabel", &wf::consolidated::lead_label), f("priority", &wf::consolidated::priority),
      f("target", &wf::consolidated::target), f("status", &wf::consolidated::status),
      f("sources", &wf::consolidated::sources, nullptr, "question ids merged into it"),
      f("number", &wf::consolidated::number, nullptr, "1-based place in the list")};
};
template <>
struct record<wf::consolidated_draft> {
  static constexpr const char* name = "ConsolidatedDraft";
  static constexpr const char* note = "A question of the chair's list as the chair writes it (an edit changes only the fields given).";
  static constexpr auto fields = std::tuple{
      f("meeting", &wf::consolidated_draft::meeting), f("sources", &wf::consolidated_draft::sources),
      f("body", &wf::consolidated_draft::body), opt("section", &wf::consolidated_draft::section),
      opt("lead", &wf::consolidated_draft::lead), opt("leadLabel", &wf::consolidated_draft::lead_label),
      opt("priority", &wf::consolidated_draft::priority), opt("target", &wf::consolidated_draft::target)};
};
template <>
struct record<wf::response> {
  static constexpr const char* name = "Response";
  static constexpr const char* note = "An answer given to a question of the list.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::response::id), f("meeting", &wf::response::meeting), f("consolidated", &wf::response::consolidated),
      f("text", &wf::response::text), f("recordingTime", &wf::response::recording_time),
      f("written", &wf::response::written),
      f("question", &wf::response::question, nullptr, "the member's draft it answers, when it answers one")};
};
template <>
struct record<wf::action> {
  static constexpr const char* name = "Action";
  static constexpr const char* note = "An action agreed at a meeting.";
  static constexpr auto fields = std::tuple{
      f("id", &wf::action::id), f("meeting", &wf::action::meeting), f("consolidated", &wf::action::consolidated),
      f("text", &wf::action::text), f("owner", &wf::action::owner), f("due", &wf::action::due),
      f("status", &wf::action::status), f("carried", &wf::action::carried, nullptr, "open from an earlier meeting")};
};

// ---- the replica and sync -------------------------------------------------------

template <>
struct record<conflict> {
  static constexpr const char* name = "Conflict";
  static constexpr const char* note = "A field with concurrent writes (writing it again resolves them).";
  static constexpr auto fields = std::tuple{f("row", &conflict::row), f("field", &conflict::field),
                                            f("winner", &conflict::winner), f("others", &conflict::others)};
};
template <>
struct record<replica::refused_change> {
  static constexpr const char* name = "RefusedChange";
  static constexpr const char* note = "A remote change this tablet refused, kept and tried again at every welcome.";
  static constexpr auto fields = std::tuple{
      f("serverSeq", &replica::refused_change::server_seq),
      f("device", &replica::refused_change::actor, nullptr, "empty when the envelope did not decode"),
      f("seq", &replica::refused_change::seq), f("reason", &replica::refused_change::reason),
      f("final", &replica::refused_change::final, nullptr, "refused by the panel's rules, as on every tablet")};
};
template <>
struct record<transfer_progress> {
  static constexpr const char* name = "TransferProgress";
  static constexpr const char* note = "Bytes of the panel's snapshot a new tablet has downloaded (total 0 until the first chunk).";
  static constexpr auto fields = std::tuple{f("received", &transfer_progress::received),
                                            f("total", &transfer_progress::total)};
};

// Every record, in the order records.ts and API.md list them.
using all = std::tuple<wf::member, wf::invite, tb::tablet, tb::member, tb::invite, tb::overview, wf::meeting,
                       wf::agenda_item, wf::pack_version, wf::block_view, wf::block_change, wf::reading,
                       wf::member_match, wf::priority_match, wf::correction_match, wf::import_plan, wf::import_report,
                       wf::annotation, wf::annotation_draft, wf::question, wf::question_draft, wf::panel_rules,
                       wf::submission_draft, wf::submission, wf::priority, wf::kloe, wf::forward_item,
                       wf::consolidated, wf::consolidated_draft, wf::response, wf::action, conflict,
                       replica::refused_change, transfer_progress>;

}  // namespace packline::records
