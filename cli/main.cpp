// packline: the native command-line client, a thin executable on client-core.
// It keeps the device's replica in <data>/replica.db (replica::save/open),
// syncs over the network client (cli/net: ws:// or wss://), and reads PDFs
// with Debian's poppler-utils. The commands are a table parsed by CLI11.
// Single-threaded; every command opens the replica, works, saves, exits.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "packline/crypto/at_rest.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/panel/export.hpp"
#include "packline/panel/pack_import.hpp"
#include "pdf_source.hpp"
#include "packline/sync/sync.hpp"
#include "packline/panel/tablets.hpp"
#include "packline/panel/workflow.hpp"
#include "net/ws_client.hpp"

#include <CLI/CLI.hpp>

using namespace packline;
namespace wf = packline::workflow;

namespace {

// A command's arguments and options, as its body reads them.
struct args {
  std::vector<std::string> pos;
  std::map<std::string, std::string> opt;
  bool has(const std::string& k) const { return opt.count(k) > 0; }
  std::string get(const std::string& k, const std::string& d = {}) const {
    auto it = opt.find(k);
    return it == opt.end() ? d : it->second;
  }
};

// The commands, one row each: what it does, its arguments (in brackets when
// optional), its options that take a value, its flags, and which options it
// needs. CLI11 is built from this table, so every command has --help, an
// unknown or misplaced option is an error, and nothing is guessed.
struct command_spec {
  std::string name;  // "kloe draft": a command and its sub-command
  std::string help;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::string> required;
};

using opts = std::vector<std::pair<std::string, std::string>>;
const opts consolidated_opts = {{"meeting", "the meeting"},
                                {"from", "the drafts it answers, Q1,Q2,..."},
                                {"lead", "the member who asks it"},
                                {"lead-label", "how the lead is shown"},
                                {"section", "the list's section (the core's default when not given)"},
                                {"target", "whom it is asked of"}};
const opts visibility_opts = {{"visibility", "private, priority or panel"}, {"priority", "the priority, for priority visibility"}};

const std::vector<command_spec>& commands() {
  static const std::vector<command_spec> table = {
      {"join", "join the server's panel (or, with --invite, a secured panel) from this device",
       {}, {{"server", "ws://HOST:PORT or wss://HOST"}, {"name", "add yourself as this member"},
            {"role", "your role with --name: member, independent_member (clerk when the panel has none)"},
            {"invite", "the invite code of a secured panel"}}, {}, {"server"}},
      {"found", "found a secured panel (a new space; this device holds the admin key)",
       {}, {{"server", "ws://HOST:PORT or wss://HOST"}, {"name", "your name"}, {"role", "your role (default clerk)"}},
       {}, {"server", "name"}},
      {"invite", "(admin device) add a member and print a one-time invite code", {"NAME", "ROLE"},
       {{"days", "days the invite stays valid (default 7)"}}},
      {"remove", "(admin device) remove a member; starts a new key epoch", {"MEMBER"}},
      {"revoke", "(admin device) revoke a lost device; starts a new key epoch", {"DEVICE"}},
      {"lease", "(admin device) the offline lease: a device that has not reached the server for this many minutes shows nothing of the panel until it does", {"MINUTES"}},
      {"sync", "send local changes, receive everyone else's, then exit", {},
       {{"server", "another server address for this once"}}},
      {"status", "device, server, member, changes not yet sent"},
      {"members", "list the panel's members"},
      {"add-member", "(clerk or chair) add a member", {"NAME", "ROLE"}},
      {"sign-in", "act as this member on this device", {"MEMBER"}},
      {"import", "(clerk) import an agenda pack (.txt or .pdf)", {"FILE"},
       {{"meeting", "add FILE to this meeting as a supplement (minutes, late papers)"},
        {"title", "the supplement's title"}},
       {{"dry-run", "preview; nothing is written"},
        {"json", "the preview as JSON"},
        {"add-members", "add the front sheet's members who are not on the panel"},
        {"add-priorities", "add the plan's priorities that are not on the panel"}}},
      {"meetings", "list meetings"},
      {"items", "a meeting's agenda items", {"MEETING"}},
      {"blocks", "the text of an item, block by block", {"ITEM"}},
      {"draft", "draft a question", {"TEXT"},
       {{"item", "the agenda item"}, {"priority", "the plan's priority"}, {"target", "whom it is asked of (default PCC)"},
        {"section", "the list's section (default In quarter)"}, {"parts", "how many parts it has (default 1)"}}},
      {"submit", "submit your draft to the chair", {"QUESTION"}},
      {"questions", "a meeting's questions", {"MEETING"}},
      {"consolidate", "(chair) add a question to the final list", {"TEXT"}, consolidated_opts},
      {"list", "the consolidated list", {"MEETING"}},
      {"export", "the consolidated list as a document", {"MEETING"},
       {{"format", "md or html (default md)"}, {"out", "write it to this file"}}},
      {"respond", "(clerk) record an answer", {"CONSOLIDATED", "TEXT"},
       {{"at", "HH:MM:SS in the meeting's recording"}}, {{"written", "answered in writing"}}},
      {"action", "(clerk) record an action", {"TEXT"},
       {{"meeting", "the meeting"}, {"owner", "who does it"}, {"due", "YYYY-MM-DD"}, {"question", "the question it follows"}}},
      {"actions", "a meeting's actions", {"MEETING"}},
      {"annotate", "highlight (or, with --note, annotate) the quoted words of a block (default: all of it)", {},
       [] {
         opts o = {{"block", "the block"}, {"quote", "the words"}, {"note", "the note"}};
         o.insert(o.end(), visibility_opts.begin(), visibility_opts.end());
         return o;
       }(),
       {}, {"block"}},
      {"annotations", "the annotations you may read, where each now sits", {"MEETING"}},
      {"annotation edit", "(the author) change a note; what is not given stays as it is", {"ANNOTATION"},
       [] {
         opts o = {{"note", "the note"}};
         o.insert(o.end(), visibility_opts.begin(), visibility_opts.end());
         return o;
       }()},
      {"annotation delete", "(the author) delete an annotation", {"ANNOTATION"}},
      {"read", "mark the meeting's pack as read", {"MEETING"}, {{"pack", "this version (default: the current one)"}}},
      {"changed", "the blocks changed since the version you marked as read", {"MEETING"}},
      {"group", "(chair) put drafts together without merging them", {"QUESTIONS"}, {{"meeting", "the meeting"}}},
      {"groups", "the groups not merged yet", {"MEETING"}},
      {"merge", "(chair) the group becomes a consolidated question at the end of the list", {"GROUP", "TEXT"},
       consolidated_opts},
      {"forward-plan", "the forward plan's rows"},
      {"forward-plan edit", "(chair or clerk) change a row", {"ROW"},
       {{"notes", "the notes"}, {"lead", "the lead"}, {"kloes", "the key lines of enquiry"}, {"approach", "Agenda or SSR"}}},
      {"priorities", "the plan's priorities and their leads"},
      {"leads", "(chair or clerk) set a priority's leads", {"PRIORITY", "MEMBERS"}},
      {"kloe draft", "(a lead) draft key lines of enquiry", {"BULLETS"},
       {{"priority", "the priority"}, {"topic", "the topic"}, {"meeting", "the meeting's label"}, {"approach", "Agenda or SSR"}}},
      {"kloe list", "key lines of enquiry", {"[PRIORITY]"}},
      {"submission", "(clerk) record a public question or statement", {"TEXT"},
       {{"meeting", "the meeting"}, {"name", "who sent it"}, {"received", "\"YYYY-MM-DD HH:MM\", UK time (default now)"}},
       {{"statement", "a statement, not a question"}}},
      {"submissions", "public questions and statements with the panel's decision", {"MEETING"}},
  };
  return table;
}

std::uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

int fail(const std::string& msg) {
  std::cerr << "packline: " << msg << "\n";
  return 1;
}
int fail(const error& e) { return fail(e.message); }

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

bool write_file(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!f) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// "a,b,c" → {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < s.size();) {
    auto comma = s.find(',', at);
    out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    at = comma == std::string::npos ? s.size() : comma + 1;
  }
  return out;
}

struct device {
  std::string dir;
  std::string ca;  // --ca for this run; else the one kept at join
  std::unique_ptr<replica> rep;

  std::string path(const char* f) const { return dir + "/" + f; }
  // How wss:// checks the server: the CA given now, the one kept when this
  // device joined, or the system's CA store.
  net::tls_options tls() const {
    if (!ca.empty()) return {ca};
    std::string kept;
    return {read_file(path("ca.pem"), kept) ? path("ca.pem") : std::string{}};
  }
  // Where this device syncs: kept with the CA certificate it was given.
  result<void> keep_server(const std::string& url) const {
    if (!write_file(path("server"), url + "\n")) return make_error(errc::storage, "cannot write " + path("server"));
    std::string pem;
    if (!ca.empty() && (!read_file(ca, pem) || !write_file(path("ca.pem"), pem)))
      return make_error(errc::storage, "cannot keep the CA certificate " + ca + " in " + path("ca.pem"));
    return {};
  }
  std::string server() const {
    std::string s;
    read_file(path("server"), s);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  // At rest: the passphrase is asked on the terminal, without echo, once
  // per run; PACKLINE_PASSPHRASE (for scripts) is used instead when set.
  static result<std::string> passphrase(const std::string& why) {
    static std::optional<std::string> known;
    if (known) return *known;
    if (const char* env = std::getenv("PACKLINE_PASSPHRASE")) return *(known = std::string(env));
    int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
      return make_error(errc::wrong_passphrase, why + ", and there is no terminal to ask for the passphrase on "
                                                      "(set PACKLINE_PASSPHRASE to give it to a script)");
    std::string prompt = why + ". Passphrase (not shown): ";
    termios was{}, quiet{};
    bool tty = ::tcgetattr(fd, &was) == 0;
    quiet = was;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    if (tty) ::tcsetattr(fd, TCSAFLUSH, &quiet);
    (void)!::write(fd, prompt.data(), prompt.size());
    std::string p;
    char c = 0;
    while (::read(fd, &c, 1) == 1 && c != '\n') p += c;
    if (tty) ::tcsetattr(fd, TCSAFLUSH, &was);
    (void)!::write(fd, "\n", 1);
    ::close(fd);
    return *(known = std::move(p));
  }
  result<std::unique_ptr<replica>> open_image(const std::string& image) {
    bytes b(image.begin(), image.end());
    if (at_rest::is_sealed(b)) {
      auto p = passphrase("This device's copy of the panel is sealed");
      if (!p) return p.err();
      return replica::open_sealed(b, *p, now_ms());
    }
    auto r = replica::open(b);
    if (r && std::getenv("PACKLINE_PASSPHRASE")) PL_TRY((*r)->set_passphrase(std::getenv("PACKLINE_PASSPHRASE")));  // sealed from the next save on
    return r;
  }
  result<void> open(bool create) {
    std::string image;
    if (read_file(path("replica.db"), image)) {
      auto r = open_image(image);
      if (!r && r.err().code == errc::corrupt_replica) {
        // Damaged: never overwritten. Keep it aside and go on from the last good state.
        std::string aside = path("replica.db") + ".damaged-" + std::to_string(now_ms());
        std::string bak;
        if (read_file(path("replica.db.bak"), bak)) {
          auto prev = open_image(bak);
          if (prev && std::rename(path("replica.db").c_str(), aside.c_str()) == 0) {
            std::cerr << "packline: " << r.err().message << "\npackline: kept it as " << aside
                      << "; continuing from the previous saved state (replica.db.bak)\n";
            r = std::move(prev);
          }
        }
      }
      if (!r) return r.err();
      bool recovered = !read_file(path("replica.db"), image);
      rep = std::move(*r);
      if (recovered) PL_TRY(save());  // the good state becomes replica.db again
      if (rep->locked()) {
        std::cerr << "packline: offline longer than the panel's lease: this copy stays locked until the server "
                     "hands back its key; run `packline sync`\n";
        // Saved twice so neither replica.db nor its .bak keeps the cached key.
        PL_TRY(save());
        PL_TRY(save());
      }
      return {};
    }
    if (!create) return make_error(errc::bad_state, "this device has not joined a panel yet: run `packline join --server URL`");
    ::mkdir(dir.c_str(), 0700);
    PL_TRY(crypto::init());
    auto r = replica::create(crypto::random_bytes(32));
    if (!r) return r.err();
    rep = std::move(*r);
    if (std::getenv("PACKLINE_PASSPHRASE")) PL_TRY(rep->set_passphrase(std::getenv("PACKLINE_PASSPHRASE")));
    return save();
  }
  result<void> save() {
    // A copy holding panel keys (a secured panel's, the admin key, an
    // invite) is never written unsealed: the passphrase is asked for first.
    if (!rep->has_passphrase() && (rep->is_admin() || rep->secured() || rep->joining())) {
      auto p = passphrase("This device now holds the panel's keys and its copy is sealed at rest");
      if (!p) return p.err();
      PL_TRY(rep->set_passphrase(*p));
    }
    auto b = rep->has_passphrase() ? rep->save_sealed() : rep->save();
    if (!b) return b.err();
    // The previous file (opened fine) stays as the last good state.
    std::string cur;
    if (read_file(path("replica.db"), cur) && !write_file(path("replica.db.bak"), cur))
      return make_error(errc::storage, "could not write " + path("replica.db.bak"));
    if (!write_file(path("replica.db"), std::string(b->begin(), b->end())))
      return make_error(errc::storage, "could not write " + path("replica.db"));
    return {};
  }
};

// Connects, authenticates, pushes and pulls until synced and quiet.
result<void> sync_now(device& d, const std::string& url, bool quiet_output = false) {
  auto ep = net::parse_url(url);
  if (!ep) return ep.err();
  net::ws_client ws;
  std::string err;
  if (!ws.connect(*ep, d.tls(), &err)) return make_error(errc::storage, "cannot reach " + url + ": " + err);
  sync_session s(*d.rep);
  for (auto& f : s.on_open()) ws.send(f);
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::seconds(60);
  auto last = clock::now();
  std::size_t start_pending = d.rep->pending_count();
  while (clock::now() < deadline) {
    auto ev = ws.receive(std::chrono::milliseconds(100));
    if (ev.k == net::ws_event::kind::frame) {
      last = clock::now();
      auto out = s.on_frame(ev.data, now_ms());
      if (!out) {
        ws.drop();
        (void)d.save();
        return out.err();
      }
      for (auto& f : *out) ws.send(f);
      for (auto& r : s.take_rejections()) std::cerr << "packline: " << r << "\n";
      continue;
    }
    if (ev.k != net::ws_event::kind::timeout) {
      (void)d.save();
      return make_error(errc::storage, "the server closed the connection: " + ev.message);
    }
    if (s.state() == sync_state::synced && clock::now() - last > std::chrono::milliseconds(300)) {
      ws.close();
      PL_TRY(d.save());
      if (!quiet_output)
        std::cerr << "synced: " << start_pending - std::min(start_pending, d.rep->pending_count()) << " changes sent, "
                  << d.rep->pending_count() << " unsent\n";
      return {};
    }
  }
  (void)d.save();
  return make_error(errc::storage, "sync did not finish within 60 s; what arrived is kept");
}

bool is_pdf(const std::string& path, const std::string& head) {
  return head.rfind("%PDF", 0) == 0 || (path.size() > 4 && (path.substr(path.size() - 4) == ".pdf" || path.substr(path.size() - 4) == ".PDF"));
}

int cmd_import(device& d, const args& a) {
  if (a.pos.empty()) return fail("import needs a FILE");
  const std::string file = a.pos[0];
  std::string text;
  if (!read_file(file, text)) return fail("cannot read " + file);
  bool json = a.has("json"), dry = a.has("dry-run");
  // Progress goes to stderr so --json output stays clean.
  auto progress = [&, last = std::string()](std::string_view stage, std::size_t done, std::size_t total) mutable {
    std::string line = std::string(stage) + " " + std::to_string(done) + "/" + std::to_string(total);
    if (line != last) std::cerr << "import: " << line << "\n";
    last = line;
  };
  auto t0 = std::chrono::steady_clock::now();
  result<pack::parsed> p = make_error(errc::invalid_argument, "");
  if (is_pdf(file, text)) {
    auto src = cli::pdf_source(file);
    if (!src) return fail(src.err());
    std::cerr << "import: " << src->pages.size() << " PDF pages" << (src->outline.empty() ? "" : ", with an outline") << "\n";
    t0 = std::chrono::steady_clock::now();  // structuring time, without the extraction
    if (a.has("meeting")) p = pack::parse_supplement_source(*src, a.get("title"));
    else p = pack::parse_source(*src, progress);
  } else if (a.has("meeting")) {
    p = pack::parse_supplement(text, a.get("title"));
  } else {
    p = pack::parse_text(text, progress);
  }
  if (!p) return fail(file + ": " + p.err().message);
  auto parsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (dry) {
    if (json) std::cout << pack::preview_json(*p);
    else {
      std::cout << p->meeting.title << " — " << p->meeting.date << " " << p->meeting.time << "\n";
      for (auto& it : p->items)
        std::cout << "  " << it.number << "  " << it.title << (it.pages.empty() ? "" : "  (pages " + it.pages + ")")
                  << (it.exempt ? "  [exempt]" : "") << "\n";
      for (auto& doc : p->documents)
        if (doc.appendix && doc.item >= 0)
          std::cout << "  " << p->items[static_cast<std::size_t>(doc.item)].number << "  appendix: " << doc.title << "  (page "
                    << doc.first_page << ")\n";
      std::cout << p->blocks.size() << " blocks on " << p->pages << " pages; nothing written (dry run)\n";
    }
    std::cerr << "import: parsed in " << parsed_ms << " ms\n";
    return 0;
  }
  if (auto o = d.open(false); !o) return fail(o.err());
  wf::import_options o;
  o.meeting_id = a.get("meeting");
  o.title = a.get("title");
  auto slash = file.rfind('/');
  o.source = slash == std::string::npos ? file : file.substr(slash + 1);
  o.progress = progress;
  o.add_members = a.has("add-members");
  o.add_priorities = a.has("add-priorities");
  auto rep = wf::import_pack(*d.rep, *p, o, now_ms());
  if (!rep) return fail(rep.err());
  if (auto s = d.save(); !s) return fail(s.err());
  auto total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (rep->unchanged) {
    std::cout << "already imported: meeting " << rep->meeting << " version " << rep->version << "\n";
    return 0;
  }
  std::cout << "imported " << rep->kind << " as version " << rep->version << " of meeting " << rep->meeting << ": "
            << rep->items << " items, " << rep->blocks << " blocks in " << rep->changes << " changes (" << total_ms
            << " ms)\n";
  // What the front sheet and the plan matched; new ones only with the clerk's confirmation.
  std::size_t matched = 0, fresh = 0;
  std::string fresh_names;
  for (auto& mm : rep->plan.members) {
    if (!mm.member.empty()) ++matched;
    else fresh_names += (fresh++ ? ", " : "") + mm.name + (mm.role == "member" ? "" : " (" + mm.role + ")");
    if (!mm.note.empty()) std::cout << "  " << mm.name << ": " << mm.note << "\n";
  }
  if (!rep->plan.members.empty()) std::cout << "front sheet: " << matched << " members matched on the panel";
  if (rep->members) std::cout << ", " << rep->members << " added: " << fresh_names << "\n";
  else if (fresh) std::cout << "; " << fresh << " not on the panel and not added (confirm with --add-members): " << fresh_names << "\n";
  else if (!rep->plan.members.empty()) std::cout << "\n";
  std::size_t new_priorities = 0;
  for (auto& pm : rep->plan.priorities) new_priorities += pm.priority.empty();
  if (rep->priorities) std::cout << rep->priorities << " priorities added from the plan\n";
  else if (new_priorities) std::cout << new_priorities << " priorities in the plan not added (confirm with --add-priorities)\n";
  if (rep->answers || rep->answers_unplaced)
    std::cout << rep->answers << " answers recorded (" << rep->answers_linked << " tied to questions on the list"
              << (rep->answers_to_drafts ? ", " + std::to_string(rep->answers_to_drafts) + " to members' own drafts" : "")
              << "), " << rep->answers_unplaced << " left in the minutes of a meeting not in this panel\n";
  if (!rep->changed_blocks.empty() || !rep->annotations.empty()) {
    std::cout << rep->changed_blocks.size() << " blocks changed since the previous version\n";
    for (auto& an : rep->annotations)
      std::cout << "  annotation " << an.id << ": " << wf::to_string(an.status)
                << (an.status == wf::anchor_status::text_changed ? " (\"" + an.quote + "\" → \"" + an.current_text + "\")" : "")
                << "\n";
  }
  std::cout << "run `packline sync` to publish it\n";
  return 0;
}

// consolidate and merge: the wording and the list's fields.
wf::consolidated_draft consolidated_args(const args& a, const std::string& body) {
  wf::consolidated_draft c;
  c.meeting = a.get("meeting");
  c.sources = a.has("from") ? split_list(a.get("from")) : std::vector<std::string>{};
  c.lead = a.get("lead");
  c.lead_label = a.get("lead-label");
  c.section = a.get("section");  // (a new question's defaults are the core's)
  c.target = a.get("target");
  c.body = body;
  return c;
}

// The command line, parsed by CLI11 from the table of commands.
struct command_line {
  std::string dir, ca, cmd;
  args a;
};

// Fills `out`; returns an exit code when the run ends here (help, version,
// a mistake in the command line, which is 2).
std::optional<int> parse_command_line(int argc, char** argv, command_line& out) {
  CLI::App app{"packline: a scrutiny panel's tablet on the command line. Every command has --help.", "packline"};
  app.set_version_flag("--version", PACKLINE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // --data and --ca may also follow the command
  const char* home = std::getenv("PACKLINE_HOME");
  out.dir = home ? home : "packline-client";
  app.add_option("--data", out.dir, "this device's folder (default $PACKLINE_HOME or ./packline-client)");
  app.add_option("--ca", out.ca,
                 "the CA certificate (PEM) that signed a wss:// server's certificate; kept for later runs "
                 "(default: the system's CA store)")
      ->check(CLI::ExistingFile);
  app.footer(
      "A secured panel's replica.db is always sealed at rest (Argon2id + XChaCha20-Poly1305) under a passphrase of\n"
      "at least 10 characters, asked on the terminal without echo (PACKLINE_PASSPHRASE gives it to a script\n"
      "instead); replica.db.bak keeps the previous good state.");

  struct slot {
    const command_spec* spec;
    CLI::App* app;
    std::map<std::string, std::string> values;
    std::vector<std::pair<std::string, CLI::Option*>> given;  // option or flag name, and the CLI11 option
    std::vector<std::pair<std::string, std::string*>> positional;
  };
  std::deque<slot> slots;  // stable addresses: CLI11 writes into `values`
  std::map<std::string, CLI::App*> by_name;
  for (const auto& c : commands()) {
    auto space = c.name.find(' ');
    CLI::App* sub;
    if (space == std::string::npos) {
      sub = by_name[c.name] = app.add_subcommand(c.name, c.help);
    } else {
      auto word = c.name.substr(0, space);
      auto& parent = by_name[word];
      if (!parent) parent = app.add_subcommand(word, word + " " + c.name.substr(space + 1) + "|…")->require_subcommand(1);
      sub = parent->add_subcommand(c.name.substr(space + 1), c.help);
    }
    auto& sl = slots.emplace_back(slot{&c, sub, {}, {}, {}});
    for (const auto& [name, help] : c.options) {
      auto* o = sub->add_option("--" + name, sl.values[name], help);
      if (std::find(c.required.begin(), c.required.end(), name) != c.required.end()) o->required();
      sl.given.emplace_back(name, o);
    }
    for (const auto& [name, help] : c.flags) sl.given.emplace_back("", sub->add_flag("--" + name, help));
    for (const auto& arg : c.args) {
      bool optional = arg.front() == '[';
      std::string name = optional ? arg.substr(1, arg.size() - 2) : arg;
      auto* o = sub->add_option(name, sl.values[name], name);
      if (!optional) o->required();
      sl.positional.emplace_back(name, &sl.values[name]);
    }
  }

  std::vector<std::string> words(argv, argv + argc);
  // `packline help` lists the commands (after --data DIR or --ca FILE too).
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "--data" || words[i] == "--ca") ++i;
    else if (words[i] == "help") words[i] = "--help";
    else if (words[i].rfind("--", 0) != 0) break;
  }
  std::vector<char*> ptrs;
  for (auto& w : words) ptrs.push_back(w.data());
  try {
    app.parse(static_cast<int>(ptrs.size()), ptrs.data());
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  // The deepest command given: a sub-command comes after its parent in the table.
  const slot* chosen = nullptr;
  for (const auto& sl : slots)
    if (sl.app->parsed()) chosen = &sl;
  if (!chosen) return 2;  // (CLI11 requires one)
  const auto& name = chosen->spec->name;
  auto space = name.find(' ');
  out.cmd = name.substr(0, space);
  if (space != std::string::npos) out.a.pos.push_back(name.substr(space + 1));
  for (const auto& [opt, o] : chosen->given)
    if (o->count() > 0) out.a.opt[opt.empty() ? o->get_name().substr(2) : opt] = opt.empty() ? "1" : chosen->values.at(opt);
  for (const auto& [arg, value] : chosen->positional)
    if (chosen->app->get_option(arg)->count() > 0) out.a.pos.push_back(*value);
  return std::nullopt;
}

int run(int argc, char** argv) {
  command_line line;
  if (auto rc = parse_command_line(argc, argv, line)) return *rc;
  const std::string& cmd = line.cmd;
  const args& a = line.a;
  if (auto c = crypto::init(); !c) return fail(c.err());
  device d{line.dir, line.ca, nullptr};
  const std::uint64_t now = now_ms();
  // A mistyped server address is refused before anything is written.
  if (a.has("server"))
    if (auto ep = net::parse_url(a.get("server")); !ep) return fail(ep.err());

  if (cmd == "import") return cmd_import(d, a);

  if (cmd == "found") {
    std::string url = a.get("server");
    if (url.empty() || !a.has("name")) return fail("found needs --server ws://HOST:PORT --name NAME");
    if (auto o = d.open(true); !o) return fail(o.err());
    if (auto k = d.keep_server(url); !k) return fail(k.err());
    std::string role = a.get("role", "clerk");
    auto member = wf::found_panel(*d.rep, a.get("name"), role, now);
    if (!member) return fail(member.err());
    if (auto s = sync_now(d, url); !s) return fail(s.err());
    std::cout << "founded panel " << to_hex(d.rep->space()) << " at " << url << "; member " << *member << " ("
              << role << ")\n";
    return 0;
  }
  if (cmd == "join" && a.has("invite")) {
    std::string url = a.get("server");
    if (url.empty()) return fail("join needs --server ws://HOST:PORT");
    if (auto o = d.open(true); !o) return fail(o.err());
    if (auto k = d.keep_server(url); !k) return fail(k.err());
    if (auto j = d.rep->redeem_invite(a.get("invite"), now); !j) return fail(j.err());
    if (auto s = sync_now(d, url); !s) return fail(s.err());
    bytes m = d.rep->my_member();
    if (m.empty()) return fail("the server did not take the invite");
    if (auto si = wf::sign_in(*d.rep, to_hex(m)); !si) return fail(si.err());
    (void)d.save();
    std::cout << "joined panel " << to_hex(d.rep->space()) << " as member " << to_hex(m) << " (" << d.rep->my_role() << ")\n";
    return 0;
  }

  if (cmd == "join") {
    std::string url = a.get("server");
    if (url.empty()) return fail("join needs --server ws://HOST:PORT");
    if (auto o = d.open(true); !o) return fail(o.err());
    if (auto k = d.keep_server(url); !k) return fail(k.err());
    if (auto s = sync_now(d, url); !s) return fail(s.err());
    std::cout << "joined panel " << to_hex(d.rep->space()) << " at " << url << "\n";
    if (a.has("name")) {
      auto m = wf::register_member(*d.rep, a.get("name"), a.get("role", "member"), now_ms());
      if (!m) return fail(m.err());
      if (auto s = sync_now(d, url, true); !s) return fail(s.err());
      std::cout << "member " << *m << " (" << a.get("name") << ", " << a.get("role", "member") << ")\n";
    }
    return 0;
  }

  if (auto o = d.open(false); !o) return fail(o.err());
  auto done = [&](int rc) {
    if (auto s = d.save(); !s) return fail(s.err());
    return rc;
  };
  // A command that makes a row: prints its id, saves.
  auto created = [&](const result<std::string>& id) {
    if (!id) return fail(id.err());
    std::cout << *id << "\n";
    return done(0);
  };

  if (d.rep->locked() && cmd != "sync" && cmd != "status") return fail(make_error(errc::lease_expired));
  if (cmd == "invite") {
    auto days = std::strtoull(a.get("days", "7").c_str(), nullptr, 10);
    auto inv = wf::invite_member(*d.rep, a.pos[0], a.pos[1], now, days * 24 * 3600 * 1000);
    if (!inv) return fail(inv.err());
    std::cout << inv->code << "\n";
    std::cerr << "invite for " << a.pos[0] << " (" << a.pos[1] << "), one use, " << days
              << " days; run `packline sync` to publish it\n";
    return done(0);
  }
  if (cmd == "lease") {
    double minutes = std::strtod(a.pos[0].c_str(), nullptr);
    if (!(minutes > 0)) return fail("the lease is a number of minutes above zero");
    if (auto r = d.rep->set_lease(static_cast<std::uint64_t>(minutes * 60'000), now); !r) return fail(r.err());
    std::cerr << "offline lease " << a.pos[0] << " minutes; run `packline sync` to publish it\n";
    return done(0);
  }
  if (cmd == "remove" || cmd == "revoke") {
    auto r = cmd == "remove" ? tablets::remove_member(*d.rep, a.pos[0], now) : tablets::revoke(*d.rep, a.pos[0], now);
    if (!r) return fail(r.err());
    std::cerr << "new key epoch " << d.rep->write_epoch() << "; run `packline sync` to publish it\n";
    return done(0);
  }
  if (cmd == "sync") {
    std::string url = a.get("server", d.server());
    if (url.empty()) return fail("no server: run `packline join --server URL` first");
    if (auto s = sync_now(d, url); !s) return fail(s.err());
    return 0;
  }
  if (cmd == "status") {
    std::cout << "device  " << to_hex(d.rep->device_id()) << "\npanel   " << to_hex(d.rep->space()) << "\nserver  "
              << d.server() << "\nmember  " << wf::signed_in_member(*d.rep) << " (" << wf::my_role(*d.rep)
              << ")\nunsent  " << d.rep->pending_count() << " changes\n";
    return 0;
  }
  if (cmd == "members") {
    auto ms = wf::members(*d.rep);
    if (!ms) return fail(ms.err());
    for (auto& m : *ms) std::cout << m.id << "  " << m.role << "  " << m.name << "\n";
    return 0;
  }
  if (cmd == "add-member") {
    auto m = wf::add_member(*d.rep, a.pos[0], a.pos[1], now);
    if (!m) return fail(m.err());
    std::cout << *m << "\n";
    return done(0);
  }
  if (cmd == "sign-in") {
    if (auto s = wf::sign_in(*d.rep, a.pos[0]); !s) return fail(s.err());
    return done(0);
  }
  if (cmd == "meetings") {
    auto ms = wf::meetings(*d.rep);
    if (!ms) return fail(ms.err());
    for (auto& m : *ms) std::cout << m.id << "  " << m.date << " " << m.time << "  " << m.title << "\n";
    return 0;
  }
  if (cmd == "items") {
    auto is = wf::items(*d.rep, a.pos[0]);
    if (!is) return fail(is.err());
    for (auto& i : *is)
      std::cout << i.id << "  " << i.number << "  " << i.title << (i.pages.empty() ? "" : "  (pages " + i.pages + ")")
                << (i.exempt ? "  [exempt]" : "") << "\n";
    return 0;
  }
  if (cmd == "blocks") {
    auto bs = wf::blocks(*d.rep, a.pos[0]);
    if (!bs) return fail(bs.err());
    for (auto& b : *bs) std::cout << b.id << "  p." << b.page << "  " << b.kind << "  " << b.text << "\n";
    return 0;
  }
  if (cmd == "draft") {
    wf::question_draft q;
    q.item = a.get("item");
    q.priority = a.get("priority");
    q.target = a.get("target", "PCC");
    q.section = a.get("section", "In quarter");
    q.subparts = std::atoi(a.get("parts", "1").c_str());
    q.body = a.pos[0];
    auto id = wf::draft_question(*d.rep, q, now);
    return created(id);
  }
  if (cmd == "submit") {
    if (auto s = wf::submit_question(*d.rep, a.pos[0], now); !s) return fail(s.err());
    return done(0);
  }
  if (cmd == "questions") {
    auto qs = wf::questions(*d.rep, a.pos[0]);
    if (!qs) return fail(qs.err());
    for (auto& q : *qs) std::cout << q.id << "  " << (q.outcome.empty() ? q.status : q.outcome) << "  " << q.body << "\n";
    return 0;
  }
  if (cmd == "consolidate") {
    auto id = wf::consolidate(*d.rep, consolidated_args(a, a.pos[0]), now);
    return created(id);
  }
  if (cmd == "list") {
    auto l = wf::consolidated_list(*d.rep, a.pos[0]);
    if (!l) return fail(l.err());
    for (auto& c : *l) std::cout << c.id << "  Q" << c.number << "  " << c.section << "  " << c.body << "\n";
    return 0;
  }
  if (cmd == "export") {
    std::string fmt = a.get("format", "md");
    auto out = fmt == "html" ? exporter::html(*d.rep, a.pos[0]) : exporter::markdown(*d.rep, a.pos[0]);
    if (!out) return fail(out.err());
    if (a.has("out")) {
      if (!write_file(a.get("out"), *out)) return fail("cannot write " + a.get("out"));
    } else {
      std::cout << *out;
    }
    return 0;
  }
  if (cmd == "respond") {
    auto id = wf::record_response(*d.rep, a.pos[0], a.pos[1], a.get("at"), a.has("written"), now);
    return created(id);
  }
  if (cmd == "action") {
    wf::action ac;
    ac.meeting = a.get("meeting");
    ac.owner = a.get("owner");
    ac.due = a.get("due");
    ac.consolidated = a.get("question");
    ac.text = a.pos[0];
    auto id = wf::add_action(*d.rep, ac, now);
    return created(id);
  }
  if (cmd == "actions") {
    auto as = wf::actions(*d.rep, a.pos[0]);
    if (!as) return fail(as.err());
    for (auto& x : *as)
      std::cout << x.id << "  " << x.status << (x.carried ? " (carried)" : "") << "  " << x.owner << "  " << x.due << "  "
                << x.text << "\n";
    return 0;
  }
  if (cmd == "annotate") {
    auto b = wf::block_by_id(*d.rep, a.get("block"));
    if (!b) return fail(b.err());
    wf::annotation_draft an;
    an.block = b->id;
    std::string quote = a.get("quote", b->text);
    auto at = b->text.find(quote);
    if (quote.empty() || at == std::string::npos) return fail("the block does not contain \"" + quote + "\"");
    an.start = static_cast<std::int64_t>(at);
    an.end = static_cast<std::int64_t>(at + quote.size());
    if (a.has("note")) {
      an.kind = "note";
      an.body = a.get("note");
    }
    an.visibility = a.get("visibility", "private");
    an.priority = a.get("priority");
    auto id = wf::annotate(*d.rep, an, now);
    return created(id);
  }
  if (cmd == "annotations") {
    auto as = wf::annotations(*d.rep, a.pos[0]);
    if (!as) return fail(as.err());
    for (auto& x : *as)
      std::cout << x.id << "  " << x.visibility << "  " << x.kind << "  " << wf::to_string(x.status) << "  p." << x.page << "  \""
                << x.quote << "\"" << (x.body.empty() ? "" : "  " + x.body) << "\n";
    return 0;
  }
  if (cmd == "annotation") {
    if (a.pos[0] == "delete") {
      if (auto r = wf::delete_annotation(*d.rep, a.pos[1], now); !r) return fail(r.err());
      return done(0);
    }
    auto cur = wf::annotation_by_id(*d.rep, a.pos[1]);
    if (!cur) return fail(cur.err());
    std::string vis = a.get("visibility", cur->visibility);
    std::string pri = a.get("priority", vis == cur->visibility ? cur->priority : std::string{});
    if (auto r = wf::edit_annotation(*d.rep, cur->id, a.get("note", cur->body), vis, pri, now); !r) return fail(r.err());
    return done(0);
  }
  if (cmd == "read") {
    std::string pack = a.get("pack");
    if (pack.empty()) {
      auto m = wf::meeting_by_id(*d.rep, a.pos[0]);
      if (!m) return fail(m.err());
      if (m->pack.empty()) return fail("this meeting has no pack yet");
      pack = m->pack;
    }
    if (auto r = wf::mark_read(*d.rep, pack, now); !r) return fail(r.err());
    return done(0);
  }
  if (cmd == "changed") {
    auto c = wf::changed_since_read(*d.rep, a.pos[0]);
    if (!c) return fail(c.err());
    if (c->read_pack.empty()) {
      std::cout << "not marked as read; the current version is " << c->current_version << "\n";
      return 0;
    }
    std::cout << "read version " << c->read_version << ", current version " << c->current_version << ": "
              << c->changed.size() << " blocks changed\n";
    for (auto& b : c->changed)
      std::cout << b.kind << "  p." << b.page << "  " << (b.kind == "removed" ? b.old_text : b.new_text) << "\n";
    return 0;
  }
  if (cmd == "group") {
    auto id = wf::group_drafts(*d.rep, a.get("meeting"), split_list(a.pos[0]), now);
    return created(id);
  }
  if (cmd == "groups") {
    auto gs = wf::groups(*d.rep, a.pos[0]);
    if (!gs) return fail(gs.err());
    for (auto& g : *gs) {
      std::cout << g.id << "  G" << g.number;
      for (std::size_t i = 0; i < g.sources.size(); ++i) std::cout << (i ? "," : "  ") << g.sources[i];
      std::cout << "\n";
    }
    return 0;
  }
  if (cmd == "merge") {
    if (auto r = wf::merge_group(*d.rep, a.pos[0], consolidated_args(a, a.pos[1]), now); !r) return fail(r.err());
    return done(0);
  }
  if (cmd == "forward-plan") {
    if (!a.pos.empty() && a.pos[0] == "edit") {
      wf::forward_item f;
      f.id = a.pos[1];
      f.notes = a.get("notes");
      f.lead = a.get("lead");
      f.kloes = a.get("kloes");
      f.approach = a.get("approach");
      if (auto r = wf::edit_forward_item(*d.rep, f, now); !r) return fail(r.err());
      return done(0);
    }
    auto fp = wf::forward_plan(*d.rep);
    if (!fp) return fail(fp.err());
    for (auto& f : *fp)
      std::cout << f.id << "  " << f.meeting_label << "  " << f.title << "  |  " << f.approach << "  |  " << f.lead << "  |  "
                << f.notes << "\n";
    return 0;
  }
  if (cmd == "priorities") {
    auto ps = wf::priorities(*d.rep);
    if (!ps) return fail(ps.err());
    for (auto& p : *ps) {
      std::cout << p.id << "  " << p.number << "  " << p.title;
      for (std::size_t i = 0; i < p.leads.size(); ++i) std::cout << (i ? ", " : "  leads: ") << p.leads[i];
      std::cout << "\n";
    }
    return 0;
  }
  if (cmd == "leads") {
    if (auto s = wf::set_priority_leads(*d.rep, a.pos[0], split_list(a.pos[1]), now); !s) return fail(s.err());
    return done(0);
  }
  if (cmd == "kloe") {
    if (a.pos[0] == "draft") {
      wf::kloe k;
      k.priority = a.get("priority");
      k.topic = a.get("topic");
      k.target_meeting = a.get("meeting");
      k.approach = a.get("approach", "Agenda");
      k.bullets = a.pos[1];
      auto id = wf::draft_kloe(*d.rep, k, now);
      return created(id);
    }
    auto ks = wf::kloes(*d.rep, a.pos.size() > 1 ? a.pos[1] : std::string{});  // kloe list
    if (!ks) return fail(ks.err());
    for (auto& k : *ks)
      std::cout << k.id << "  " << k.approach << "  " << k.target_meeting << "  " << k.topic << "\n" << k.bullets << "\n";
    return 0;
  }
  if (cmd == "submission") {
    wf::submission_draft sd;
    sd.meeting = a.get("meeting");
    sd.name = a.get("name");
    sd.kind = a.has("statement") ? "statement" : "question";
    sd.body = a.pos[0];
    sd.received_at = static_cast<std::int64_t>(now);
    if (a.has("received")) {
      auto t = wf::uk_local_to_ms(a.get("received"));
      if (!t) return fail("--received reads like \"2020-12-07 08:00\" (UK time)");
      sd.received_at = *t;
    }
    auto s = wf::record_submission(*d.rep, sd, now);
    if (!s) return fail(s.err());
    std::cout << s->id << "  " << (s->accepted ? "accepted" : "not accepted: " + s->reason) << "\n";
    return done(0);
  }
  if (cmd == "submissions") {
    auto ss = wf::submissions(*d.rep, a.pos[0]);
    if (!ss) return fail(ss.err());
    for (auto& x : *ss)
      std::cout << x.id << "  " << x.kind << "  " << (x.accepted ? "accepted" : "not accepted: " + x.reason) << "  " << x.name
                << "  (" << x.words << " words)\n";
    return 0;
  }
  return fail("no such command: " + cmd);  // (a row of the table without a body)
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
