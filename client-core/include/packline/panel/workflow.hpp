// The panel's workflow on top of a replica: members,
// meetings and packs, annotations, questions and the panel's rules, plan
// priorities and KLOEs, the chair's consolidated list, answers and actions.
// Every client (web and native) goes through these calls. Ids cross this API
// as lower-case hex. Writes act for the member signed in on this device and
// are checked against rules::check() before they are committed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "packline/panel/pack_import.hpp"
#include "packline/replica/replica.hpp"

namespace packline::workflow {

struct member { std::string id, name, role; };
struct meeting {
  std::string id, title, date, time, venue, kind, status;
  std::string body, chair, vice_chair, public_deadline, pack;  // pack: current version's id
  std::int64_t quorum = 0;
};
struct agenda_item {
  std::string id, meeting, number, title, pages, description;
  bool exempt = false;
  std::int64_t first_page = 0, last_page = 0;
  std::string document;  // title of the paper that follows
  bool removed = false;  // dropped by a later version of the pack
  bool placed = false;   // the clerk chose its pages in the reader: the passages on them are its own
};
struct question {
  std::string id, meeting, item, author, target, section, body, status;
  std::int64_t created_at = 0;
  std::string priority;
  std::int64_t subparts = 1;
  // What became of the draft: "merged into Q4", "held over", "answered in writing", ...
  // (empty while nothing has: the status says it); a draft in several
  // questions, once one is answered, names each: "Q1 answered at the
  // meeting; Q3 answered in writing".
  std::string outcome;
};

result<std::vector<member>> members(replica& r);
result<std::vector<meeting>> meetings(replica& r);
result<meeting> meeting_by_id(replica& r, const std::string& meeting_id);
// Current agenda items of a meeting (include_removed: also items a later version dropped).
result<std::vector<agenda_item>> items(replica& r, const std::string& meeting_id, bool include_removed = false);
// A meeting's questions as the signed-in member may see them: another
// member's draft only once submitted.
result<std::vector<question>> questions(replica& r, const std::string& meeting_id);

// Which member this device acts for (a local setting).
std::string signed_in_member(replica& r);
result<void> sign_in(replica& r, const std::string& member_id);
// The signed-in member's role ("" when not signed in).
std::string my_role(replica& r);
// A device joining a panel adds its member (an open panel; invites do it in a secured one):
// role "member" or "independent_member"; the first member of a panel with no
// clerk may also be "clerk" or "chair". Signs in as the new member.
result<std::string> register_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms);
// Clerk or chair: add another member, or (same name, "Cllr" aside) change
// the role of one already on the panel; returns the member's id.
result<std::string> add_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms);
// Secured panels. found_panel: a new device (no change yet) founds a
// secured panel in a fresh space, holds its admin key, adds the founder's
// member row (`name`, `role`) and signs in as it; returns the member id.
result<std::string> found_panel(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms);
// The admin device: adds a member and makes a one-time invite for it, valid
// for `ttl_ms` (keyring::format_invite code to hand over; push to publish it).
struct invite {
  std::string member;
  std::string code;
};
result<invite> invite_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms,
                             std::uint64_t ttl_ms);

// ---- packs ----------------------------------------------------------------

struct import_options {
  std::string meeting_id;  // "" : find the meeting by date, or create it
  std::string source;      // file name, for the record
  std::string title;       // supplement title
  pack::progress_fn progress;
  // What the preview showed the clerk (import_plan) and the clerk confirmed:
  // without these, front-sheet members and plan priorities are reported, never written.
  bool add_members = false;
  bool add_priorities = false;
  // Re-apply the clerk's corrections of earlier versions (import_plan::corrections).
  bool reapply_corrections = false;
};
// What an import would do with the front sheet's members and the plan's
// priorities, matched against the panel by name (titles such as "Cllr"
// ignored) and by number or title: the preview shows it before anything is written.
struct member_match {
  std::string name, role;  // as the pack states; role: chair, vice_chair, independent_member, member
  std::string member;      // the panel member it matches ("" : would be added)
  std::string note;        // why a stated role is not given ("the panel already has a chair: ...")
};
struct priority_match {
  std::int64_t number = 0;
  std::string title;
  std::string priority;  // the panel's priority it matches ("" : would be added)
};
// A correction the clerk made to an earlier version's agenda, as it would be
// applied to the version being imported ("" value: nothing left to apply,
// `note` says why).
struct correction_match {
  std::string item, number, title;  // the item as it stands in the new version (or stood, when added)
  std::string field;                // added, title, number, position, pages, exempt
  std::string value;                // what it would be set to ("" : nothing to do)
  std::string what;                 // in plain words: "rename item 2 to “Budget”"
  std::string note;                 // "already so in this version", "page 4 is now page 5", ...
};
struct import_plan {
  std::vector<member_match> members;
  std::vector<priority_match> priorities;
  std::vector<correction_match> corrections;  // the clerk's corrections, offered again
};
result<import_plan> plan_import(replica& r, const pack::parsed& p);
struct block_view { std::string id, item, kind, text, hash; std::int64_t page = 0, position = 0; };
struct block_change {
  std::string kind;  // added, removed, changed
  std::string item, old_block, new_block, old_text, new_text;
  std::int64_t page = 0;
};
enum class anchor_status { exact, moved, text_changed, orphaned };
const char* to_string(anchor_status s);
struct annotation {
  std::string id, meeting, item, author, kind, body, visibility, priority;
  std::string quote, prefix, suffix;
  std::int64_t start = 0, end = 0, created_at = 0;
  std::int64_t edited_at = 0;  // last edit by the author (0: never edited)
  // Resolved against the meeting's current pack version:
  anchor_status status = anchor_status::exact;
  std::string block;             // current block ("" when orphaned)
  std::int64_t page = 0, cur_start = 0, cur_end = 0;
  std::string current_text;      // the text now under the anchor (text_changed: the new wording)
  // Sealed to a priority group whose key this tablet does not hold: its
  // words are not here (body and quote ""), and it sits where it was made.
  bool locked = false;
};
struct import_report {
  std::string meeting, pack, kind;
  std::int64_t version = 1;
  std::size_t items = 0, blocks = 0, changes = 0, forward_plan = 0, priorities = 0;
  std::size_t members = 0;  // added from the front sheet's membership (when confirmed)
  import_plan plan;         // what was matched and what was (or, unconfirmed, was not) added
  // Answers recorded in minutes and question-and-answer appendices, as
  // responses: how many, how many tied to a question on the list, and how
  // many are minutes of a meeting the panel has no record of (not imported).
  std::size_t answers = 0, answers_linked = 0, answers_unplaced = 0;
  std::size_t answers_to_drafts = 0;  // of them, tied to a member's own draft as well (or instead)
  std::size_t corrections = 0;  // the clerk's earlier corrections applied again
  bool unchanged = false;  // the same file was already the current version
  // Republication: what changed since the previous version and where every
  // annotation now stands (nothing is deleted).
  std::vector<block_change> changed_blocks;
  std::vector<annotation> annotations;
};

// Clerk: writes a parsed pack as a new version of its meeting's pack, in
// changes that fit the envelope limits; the new version becomes current with
// the last change. A supplement (kind "supplement") needs options.meeting_id.
result<import_report> import_pack(replica& r, const pack::parsed& p, const import_options& o, std::uint64_t now_ms);

// ---- the clerk's corrections to an agenda ---------------------------------
// Clerk: each is an ordinary change to the items of the meeting's current
// version, and is also kept as a correction the next version offers again.
// An item added by the clerk (after `after_item`, "" : first).
result<std::string> add_item(replica& r, const std::string& meeting_id, const std::string& number, const std::string& title,
                             const std::string& after_item, std::uint64_t now_ms);
// A new number and title ("" : left as they are).
result<void> rename_item(replica& r, const std::string& item_id, const std::string& number, const std::string& title,
                         std::uint64_t now_ms);
// Moves the item after `after_item` ("" : to the top).
result<void> move_item(replica& r, const std::string& item_id, const std::string& after_item, std::uint64_t now_ms);
// The item's papers are pages first..last of the pack (as the reader numbers
// them): the passages on them become the item's.
result<void> set_item_pages(replica& r, const std::string& item_id, std::int64_t first, std::int64_t last, std::uint64_t now_ms);
result<void> set_item_exempt(replica& r, const std::string& item_id, bool exempt, std::uint64_t now_ms);

struct pack_version { std::string id, meeting, title, source, kind, fingerprint; std::int64_t version = 0, pages = 0, blocks = 0, created_at = 0; };
result<std::vector<pack_version>> packs(replica& r, const std::string& meeting_id);
// Blocks of an item in the meeting's current version, in reading order.
result<std::vector<block_view>> blocks(replica& r, const std::string& item_id);
result<block_view> block_by_id(replica& r, const std::string& block_id);
// Blocks added, removed or changed between two versions of a meeting's pack
// ("since I read version N"); to_pack "" is the current version.
result<std::vector<block_change>> pack_changes(replica& r, const std::string& from_pack, const std::string& to_pack = {});

// "Changed since you read it": the signed-in member marks a version of a
// meeting's pack as read ("" : the current one). One replicated row per
// member and meeting, written only by that member; in a secured panel the
// version is sealed under the member key.
result<void> mark_read(replica& r, const std::string& pack_id, std::uint64_t now_ms);
struct reading {
  std::string meeting;
  std::string read_pack, current_pack;  // read_pack "" : never marked
  std::int64_t read_version = 0, current_version = 0;
  // The blocks changed from the read version to the current one (empty when
  // it is the current one, or was never marked: then everything is new).
  std::vector<block_change> changed;
};
result<reading> changed_since_read(replica& r, const std::string& meeting_id);

// ---- annotations ----------------------------------------------------------

struct annotation_draft {
  std::string block;  // a block of the current version
  std::int64_t start = 0, end = 0;  // byte offsets into the block's text
  std::string kind = "highlight";   // highlight | note
  std::string body;                 // note text
  std::string visibility = "private";  // private | priority | panel
  std::string priority;             // for visibility "priority"
};
result<std::string> annotate(replica& r, const annotation_draft& a, std::uint64_t now_ms);
// Author only: a new body and visibility (the anchor stays), or a delete.
result<void> edit_annotation(replica& r, const std::string& annotation_id, const std::string& body,
                             const std::string& visibility, const std::string& priority, std::uint64_t now_ms);
result<void> delete_annotation(replica& r, const std::string& annotation_id, std::uint64_t now_ms);
// Author only: brings a deleted annotation back as it was (undo of a delete).
result<void> restore_annotation(replica& r, const std::string& annotation_id, std::uint64_t now_ms);
// Annotations of a meeting this member may read: the panel's, their own, and
// a priority group's when they lead that priority (others' private ones and
// other groups' are not listed), each resolved against the current pack version.
result<std::vector<annotation>> annotations(replica& r, const std::string& meeting_id);
// One of them by id (not_found also when this member may not read it).
result<annotation> annotation_by_id(replica& r, const std::string& annotation_id);

// ---- questions and the panel's rules ---------------------------------------

struct question_draft {
  std::string item, priority, target = "PCC", section = "In quarter", body;
  std::int64_t subparts = 1;  // parts (a), (b)... count towards the per-meeting limit
};
result<std::string> draft_question(replica& r, const question_draft& q, std::uint64_t now_ms);
// The original call: a draft on an agenda item with defaults.
result<std::string> draft_question(replica& r, const std::string& item_id, const std::string& body, std::uint64_t now_ms);
result<void> edit_question(replica& r, const std::string& question_id, const question_draft& q, std::uint64_t now_ms);
// Author: draft → submitted; checked against the panel's rules (at most N
// questions per councillor per meeting, parts counted). A broken rule is an
// error with the reason, and the draft stays as it was.
result<void> submit_question(replica& r, const std::string& question_id, std::uint64_t now_ms);
// Author: withdrawn / draft. Chair: held_over, consolidated. Clerk: answered, answered_in_writing.
result<void> set_question_status(replica& r, const std::string& question_id, const std::string& status, std::uint64_t now_ms);

struct panel_rules {
  std::int64_t questions_per_councillor = 2;
  bool subparts_count = true;
  std::int64_t public_max_words = 450;
  std::int64_t public_per_person = 1;
  std::int64_t public_accept_first = 8;
  std::string public_deadline_rule = "monday-before 08:30";  // used when the pack states no deadline
};
panel_rules rules_of(replica& r);
// Chair or clerk: key is one of the panel_rules field names.
result<void> set_rule(replica& r, const std::string& key, const std::string& value, std::uint64_t now_ms);
// The public deadline of a meeting, "YYYY-MM-DD HH:MM" local (UK) time.
result<std::string> public_deadline(replica& r, const std::string& meeting_id);
// "YYYY-MM-DD HH:MM" UK local time (GMT or BST) → ms since epoch (UTC).
std::optional<std::int64_t> uk_local_to_ms(const std::string& local);

struct submission_draft {
  std::string meeting, name, kind = "question", body;  // kind: question | statement
  std::int64_t received_at = 0;  // ms since epoch (UTC)
};
struct submission {
  std::string id, meeting, name, kind, body;
  std::int64_t words = 0, received_at = 0;
  bool accepted = false;
  std::string reason;  // why not accepted (too long, late, not among the first 8, one per person)
};
// Clerk: records what arrived (always kept); returns it with the decision.
result<submission> record_submission(replica& r, const submission_draft& s, std::uint64_t now_ms);
// Decisions are derived from the recorded rows, so every replica agrees.
result<std::vector<submission>> submissions(replica& r, const std::string& meeting_id);

// ---- priorities, KLOEs, forward plan ---------------------------------------

// shares_notes: this tablet may share a note with the priority's leads (in
// a secured panel it holds their current group key; in an open one the
// signed-in member leads it).
struct priority {
  std::string id, title, plan;
  std::int64_t number = 0;
  std::vector<std::string> leads;
  bool shares_notes = false;
};
result<std::vector<priority>> priorities(replica& r);
result<std::string> add_priority(replica& r, std::int64_t number, const std::string& title, std::uint64_t now_ms);
result<void> set_priority_leads(replica& r, const std::string& priority_id, const std::vector<std::string>& member_ids,
                                std::uint64_t now_ms);
struct kloe { std::string id, priority, topic, owner, bullets, target_meeting, approach, status; };
// A lead of the priority drafts (approach "Agenda" or "SSR").
result<std::string> draft_kloe(replica& r, const kloe& k, std::uint64_t now_ms);
result<void> edit_kloe(replica& r, const kloe& k, std::uint64_t now_ms);
result<std::vector<kloe>> kloes(replica& r, const std::string& priority_id = {});
struct forward_item { std::string id, meeting_label, meeting_date, title, notes, raised_by, lead, kloes, approach; std::int64_t position = 0; };
result<std::vector<forward_item>> forward_plan(replica& r);
// Chair or clerk: a row's notes, lead, KLOEs and approach (Agenda or SSR);
// empty fields of `f` are left as they are.
result<void> edit_forward_item(replica& r, const forward_item& f, std::uint64_t now_ms);

// ---- consolidation ---------------------------------------------------------

struct consolidated {
  std::string id, meeting, position, section, body, lead, lead_label, priority, target, status;
  std::vector<std::string> sources;  // question ids merged into it
  std::int64_t number = 0;           // 1-based place in the list
};
// An edit changes only the fields given (a draft dropped on a question keeps
// its section and lead); a new question's section is "In quarter" and its
// target "PCC" unless given.
struct consolidated_draft {
  std::string meeting;
  std::vector<std::string> sources;
  std::string body, section, lead, lead_label, priority, target;
};
// Chair or vice-chair. Appends at the end of the list; sources become "consolidated".
result<std::string> consolidate(replica& r, const consolidated_draft& c, std::uint64_t now_ms);
// Also edits a group's drafts (c.sources), which are then left as they are.
result<void> edit_consolidated(replica& r, const std::string& id, const consolidated_draft& c, std::uint64_t now_ms);
// Chair or vice-chair: puts drafts (two or more) together without merging
// them; the drafts keep their status. The chair later merges the group into
// the list (merge_group) or leaves it (remove_consolidated).
result<std::string> group_drafts(replica& r, const std::string& meeting_id, const std::vector<std::string>& question_ids,
                                 std::uint64_t now_ms);
// The group becomes a consolidated question at the end of the list, with
// c.body as its wording (c.sources: the drafts kept, default all of them).
result<void> merge_group(replica& r, const std::string& group_id, const consolidated_draft& c, std::uint64_t now_ms);
// A meeting's groups not merged yet (number counts the groups).
result<std::vector<consolidated>> groups(replica& r, const std::string& meeting_id);
// Splits one consolidated question into several (same provenance), in place.
result<std::vector<std::string>> split_consolidated(replica& r, const std::string& id, const std::vector<std::string>& bodies,
                                                    std::uint64_t now_ms);
// Moves `id` between its new neighbours ("" for the start or the end).
result<void> move_consolidated(replica& r, const std::string& id, const std::string& after_id, const std::string& before_id,
                               std::uint64_t now_ms);
result<void> remove_consolidated(replica& r, const std::string& id, std::uint64_t now_ms);
// Chair or vice-chair: undoes a merge. The question goes back to being a
// group (`to_group`, undo of merge_group) or leaves the list (undo of
// consolidate); its drafts that are still "consolidated" are "submitted" again.
result<void> unmerge(replica& r, const std::string& id, bool to_group, std::uint64_t now_ms);
// The list in order, numbered.
result<std::vector<consolidated>> consolidated_list(replica& r, const std::string& meeting_id);

// ---- after the meeting -----------------------------------------------------

// `question`: the member's own draft the answer is to, when an imported
// document's words tell which ("" otherwise).
struct response { std::string id, meeting, consolidated, text, recording_time; bool written = false; std::string question; };
// Clerk: the answer to a consolidated question, with the recording time
// ("01:20:24") or written. Its source drafts become answered / answered_in_writing.
result<std::string> record_response(replica& r, const std::string& consolidated_id, const std::string& text,
                                    const std::string& recording_time, bool written, std::uint64_t now_ms);
result<std::vector<response>> responses(replica& r, const std::string& meeting_id);
struct action {
  std::string id, meeting, consolidated, text, owner, due, status;
  bool carried = false;  // open from an earlier meeting
};
result<std::string> add_action(replica& r, const action& a, std::uint64_t now_ms);
result<void> set_action_status(replica& r, const std::string& action_id, const std::string& status, std::uint64_t now_ms);
// A meeting's actions, then open actions of earlier meetings (carried).
result<std::vector<action>> actions(replica& r, const std::string& meeting_id);

}  // namespace packline::workflow
