// packline: the native command-line client, a thin executable on client-core.
// It keeps the device's replica in <data>/replica.db (replica::save/open),
// syncs over the Beast WebSocket client of tests/support, and reads PDFs with
// Debian's pdftotext (poppler-utils), handing the core one text per page.
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
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "packline/at_rest.hpp"
#include "packline/crypto.hpp"
#include "packline/export.hpp"
#include "packline/pack_import.hpp"
#include "pdf_source.hpp"
#include "packline/sync.hpp"
#include "packline/workflow.hpp"
#include "ws_client.hpp"

using namespace packline;
namespace wf = packline::workflow;

namespace {

const char* usage =
    "usage: packline [--data DIR] COMMAND [ARGS]\n"
    "  --data DIR       this device's folder (default $PACKLINE_HOME or ./packline-client)\n"
    "\n"
    "  join --server ws://HOST:PORT [--name NAME --role ROLE]\n"
    "                   join the server's default panel (invites: issue 4) and, with --name,\n"
    "                   add yourself (member, independent_member; clerk when the panel has none)\n"
    "  found --server URL --name NAME [--role clerk]\n"
    "                   found a secured panel (new space; this device holds the admin key)\n"
    "  invite NAME ROLE [--days N]   (admin device) add a member and print a one-time invite code\n"
    "  join --server URL --invite CODE   redeem an invite on a new device\n"
    "  remove MEMBER | revoke DEVICE     (admin device) both start a new key epoch\n"
    "  A secured panel's replica.db is always sealed at rest (Argon2id + XChaCha20-Poly1305) under a\n"
    "  passphrase of at least 10 characters, asked on the terminal without echo (PACKLINE_PASSPHRASE\n"
    "  gives it to a script instead); replica.db.bak keeps the previous good state.\n"
    "  sync             send local changes, receive everyone else's, then exit\n"
    "  status           device, server, member, changes not yet sent\n"
    "  members          list the panel's members\n"
    "  add-member NAME ROLE      (clerk or chair)\n"
    "  sign-in MEMBER            act as this member on this device\n"
    "  import [--dry-run] [--json] [--meeting ID] [--title T] [--add-members] [--add-priorities] FILE\n"
    "                   import an agenda pack (.txt or .pdf) as clerk; --dry-run previews,\n"
    "                   --meeting adds FILE to that meeting as a supplement (minutes, late papers);\n"
    "                   new front-sheet members and plan priorities are listed, and written only\n"
    "                   with --add-members / --add-priorities\n"
    "  meetings         list meetings\n"
    "  items MEETING    list a meeting's agenda items\n"
    "  blocks ITEM      the text of an item, block by block\n"
    "  draft --item ITEM [--priority P] [--target T] [--section S] [--parts N] TEXT\n"
    "  submit QUESTION\n"
    "  questions MEETING\n"
    "  consolidate --meeting M --from Q1,Q2 [--lead MEMBER] [--lead-label L] [--section S] TEXT\n"
    "  list MEETING     the consolidated list\n"
    "  export MEETING [--format md|html] [--out FILE]\n"
    "  respond CONSOLIDATED [--at HH:MM:SS | --written] TEXT\n"
    "  action --meeting M [--owner O] [--due YYYY-MM-DD] TEXT\n"
    "  actions MEETING\n"
    "  annotate --block BLOCK [--quote TEXT] [--note TEXT] [--visibility private|priority|panel] [--priority P]\n"
    "                   highlight (or, with --note, annotate) the quoted words of a block (default: all of it)\n"
    "  annotations MEETING   the annotations you may read, where each now sits\n"
    "  annotation edit ANNOTATION [--note TEXT] [--visibility private|priority|panel] [--priority P]\n"
    "                   (the author) what is not given stays as it is\n"
    "  annotation delete ANNOTATION   (the author)\n"
    "  read MEETING [--pack PACK]     mark the meeting's pack (default: its current version) as read\n"
    "  changed MEETING   the blocks changed since the version you marked as read\n"
    "  group --meeting M Q1,Q2[,...]  (chair) put drafts together without merging them\n"
    "  groups MEETING   the groups not merged yet\n"
    "  merge GROUP [--from Q1,Q2] [--lead MEMBER] [--lead-label L] [--section S] TEXT\n"
    "                   (chair) the group becomes a consolidated question at the end of the list\n"
    "  forward-plan     the forward plan's rows\n"
    "  forward-plan edit ROW [--notes T] [--lead L] [--kloes K] [--approach Agenda|SSR]   (chair or clerk)\n"
    "  priorities       the plan's priorities and their leads\n"
    "  leads PRIORITY MEMBER[,MEMBER...]   (chair or clerk) set a priority's leads\n"
    "  kloe draft --priority P --topic T [--meeting LABEL] [--approach Agenda|SSR] BULLETS   (a lead)\n"
    "  kloe list [PRIORITY]\n"
    "  submission --meeting M --name NAME [--statement] [--received \"YYYY-MM-DD HH:MM\"] TEXT\n"
    "                   (clerk) record a public question or statement (UK time received, default now)\n"
    "  submissions MEETING   public questions and statements with the panel's decision\n";

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

// Arguments: positionals and --options (flags without a value listed in `flags`).
struct args {
  std::vector<std::string> pos;
  std::map<std::string, std::string> opt;
  bool has(const std::string& k) const { return opt.count(k) > 0; }
  std::string get(const std::string& k, const std::string& d = {}) const {
    auto it = opt.find(k);
    return it == opt.end() ? d : it->second;
  }
};

args parse_args(const std::vector<std::string>& v, const std::vector<std::string>& flags) {
  args a;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string& s = v[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string k = s.substr(2);
      auto eq = k.find('=');
      if (eq != std::string::npos) a.opt[k.substr(0, eq)] = k.substr(eq + 1);
      else if (std::find(flags.begin(), flags.end(), k) != flags.end()) a.opt[k] = "1";
      else if (i + 1 < v.size()) a.opt[k] = v[++i];
      else a.opt[k] = "";
    } else {
      a.pos.push_back(s);
    }
  }
  return a;
}

struct device {
  std::string dir;
  std::unique_ptr<replica> rep;

  std::string path(const char* f) const { return dir + "/" + f; }
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
      if (rep->locked())
        std::cerr << "packline: offline longer than the panel's lease: keys dropped; run `packline sync` to unlock\n";
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

// ws://host:port[/path]
bool parse_url(const std::string& url, std::string& host, std::uint16_t& port, std::string& target) {
  std::string u = url;
  if (u.rfind("ws://", 0) == 0) u = u.substr(5);
  else if (u.rfind("http://", 0) == 0) u = u.substr(7);
  auto slash = u.find('/');
  target = slash == std::string::npos ? "/sync" : u.substr(slash);
  if (target == "/") target = "/sync";
  std::string hp = u.substr(0, slash);
  auto colon = hp.rfind(':');
  host = hp.substr(0, colon);
  if (host.empty()) return false;
  if (colon == std::string::npos) {
    port = 80;
    return true;
  }
  char* end = nullptr;
  long p = std::strtol(hp.c_str() + colon + 1, &end, 10);
  if (!end || *end || p <= 0 || p > 65535) return false;
  port = static_cast<std::uint16_t>(p);
  return true;
}

// Connects, authenticates, pushes and pulls until synced and quiet.
result<void> sync_now(device& d, const std::string& url, bool quiet_output = false) {
  std::string host, target;
  std::uint16_t port = 0;
  if (!parse_url(url, host, port, target)) return make_error(errc::invalid_argument, "not a server address: " + url);
  test::ws_client ws;
  std::string err;
  if (!ws.connect(host, port, target, &err)) return make_error(errc::storage, "cannot reach " + url + ": " + err);
  sync_session s(*d.rep);
  for (auto& f : s.on_open()) ws.send(f);
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::seconds(60);
  auto last = clock::now();
  std::size_t start_pending = d.rep->pending_count();
  while (clock::now() < deadline) {
    auto ev = ws.receive(std::chrono::milliseconds(100));
    if (ev.k == test::ws_event::kind::frame) {
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
    if (ev.k != test::ws_event::kind::timeout) {
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
  c.section = a.get("section", "In quarter");
  c.target = a.get("target", "PCC");
  c.body = body;
  return c;
}

int run(int argc, char** argv) {
  std::vector<std::string> v(argv + 1, argv + argc);
  std::string dir = std::getenv("PACKLINE_HOME") ? std::getenv("PACKLINE_HOME") : "packline-client";
  if (v.size() >= 2 && v[0] == "--data") {
    dir = v[1];
    v.erase(v.begin(), v.begin() + 2);
  }
  if (v.empty() || v[0] == "--help" || v[0] == "-h" || v[0] == "help") {
    std::cout << usage;
    return v.empty() ? 2 : 0;
  }
  std::string cmd = v[0];
  args a = parse_args(std::vector<std::string>(v.begin() + 1, v.end()), {"dry-run", "json", "written", "statement", "add-members", "add-priorities"});
  if (auto c = crypto::init(); !c) return fail(c.err());
  device d{dir, nullptr};
  const std::uint64_t now = now_ms();

  if (cmd == "import") return cmd_import(d, a);

  if (cmd == "found") {
    std::string url = a.get("server");
    if (url.empty() || !a.has("name")) return fail("found needs --server ws://HOST:PORT --name NAME");
    if (auto o = d.open(true); !o) return fail(o.err());
    if (!write_file(d.path("server"), url + "\n")) return fail("cannot write " + d.path("server"));
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
    if (!write_file(d.path("server"), url + "\n")) return fail("cannot write " + d.path("server"));
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
    if (!write_file(d.path("server"), url + "\n")) return fail("cannot write " + d.path("server"));
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
  auto need = [&](std::size_t n, const char* what) {
    if (a.pos.size() < n) {
      std::cerr << "packline: " << cmd << " needs " << what << "\n";
      return false;
    }
    return true;
  };

  if (d.rep->locked() && cmd != "sync" && cmd != "status") return fail(make_error(errc::lease_expired));
  if (cmd == "invite") {
    if (!need(2, "NAME ROLE")) return 2;
    auto days = std::strtoull(a.get("days", "7").c_str(), nullptr, 10);
    auto inv = wf::invite_member(*d.rep, a.pos[0], a.pos[1], now, days * 24 * 3600 * 1000);
    if (!inv) return fail(inv.err());
    std::cout << inv->code << "\n";
    std::cerr << "invite for " << a.pos[0] << " (" << a.pos[1] << "), one use, " << days
              << " days; run `packline sync` to publish it\n";
    return done(0);
  }
  if (cmd == "remove" || cmd == "revoke") {
    if (!need(1, cmd == "remove" ? "MEMBER" : "DEVICE")) return 2;
    auto r = cmd == "remove" ? d.rep->remove_member(from_hex(a.pos[0]), now) : d.rep->revoke_device(from_hex(a.pos[0]), now);
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
    if (!need(2, "NAME ROLE")) return 2;
    auto m = wf::add_member(*d.rep, a.pos[0], a.pos[1], now);
    if (!m) return fail(m.err());
    std::cout << *m << "\n";
    return done(0);
  }
  if (cmd == "sign-in") {
    if (!need(1, "MEMBER")) return 2;
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
    if (!need(1, "MEETING")) return 2;
    auto is = wf::items(*d.rep, a.pos[0]);
    if (!is) return fail(is.err());
    for (auto& i : *is)
      std::cout << i.id << "  " << i.number << "  " << i.title << (i.pages.empty() ? "" : "  (pages " + i.pages + ")")
                << (i.exempt ? "  [exempt]" : "") << "\n";
    return 0;
  }
  if (cmd == "blocks") {
    if (!need(1, "ITEM")) return 2;
    auto bs = wf::blocks(*d.rep, a.pos[0]);
    if (!bs) return fail(bs.err());
    for (auto& b : *bs) std::cout << b.id << "  p." << b.page << "  " << b.kind << "  " << b.text << "\n";
    return 0;
  }
  if (cmd == "draft") {
    if (!need(1, "TEXT")) return 2;
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
    if (!need(1, "QUESTION")) return 2;
    if (auto s = wf::submit_question(*d.rep, a.pos[0], now); !s) return fail(s.err());
    return done(0);
  }
  if (cmd == "questions") {
    if (!need(1, "MEETING")) return 2;
    auto qs = wf::questions(*d.rep, a.pos[0]);
    if (!qs) return fail(qs.err());
    for (auto& q : *qs) std::cout << q.id << "  " << (q.outcome.empty() ? q.status : q.outcome) << "  " << q.body << "\n";
    return 0;
  }
  if (cmd == "consolidate") {
    if (!need(1, "TEXT")) return 2;
    auto id = wf::consolidate(*d.rep, consolidated_args(a, a.pos[0]), now);
    return created(id);
  }
  if (cmd == "list") {
    if (!need(1, "MEETING")) return 2;
    auto l = wf::consolidated_list(*d.rep, a.pos[0]);
    if (!l) return fail(l.err());
    for (auto& c : *l) std::cout << c.id << "  Q" << c.number << "  " << c.section << "  " << c.body << "\n";
    return 0;
  }
  if (cmd == "export") {
    if (!need(1, "MEETING")) return 2;
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
    if (!need(2, "CONSOLIDATED TEXT")) return 2;
    auto id = wf::record_response(*d.rep, a.pos[0], a.pos[1], a.get("at"), a.has("written"), now);
    return created(id);
  }
  if (cmd == "action") {
    if (!need(1, "TEXT")) return 2;
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
    if (!need(1, "MEETING")) return 2;
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
    if (!need(1, "MEETING")) return 2;
    auto as = wf::annotations(*d.rep, a.pos[0]);
    if (!as) return fail(as.err());
    for (auto& x : *as)
      std::cout << x.id << "  " << x.visibility << "  " << x.kind << "  " << wf::to_string(x.status) << "  p." << x.page << "  \""
                << x.quote << "\"" << (x.body.empty() ? "" : "  " + x.body) << "\n";
    return 0;
  }
  if (cmd == "annotation") {
    std::string sub = a.pos.empty() ? std::string{} : a.pos[0];
    if ((sub != "edit" && sub != "delete") || a.pos.size() < 2) return fail("annotation edit|delete ANNOTATION");
    if (sub == "delete") {
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
    if (!need(1, "MEETING")) return 2;
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
    if (!need(1, "MEETING")) return 2;
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
    if (!need(1, "Q1,Q2")) return 2;
    auto id = wf::group_drafts(*d.rep, a.get("meeting"), split_list(a.pos[0]), now);
    return created(id);
  }
  if (cmd == "groups") {
    if (!need(1, "MEETING")) return 2;
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
    if (!need(2, "GROUP TEXT")) return 2;
    if (auto r = wf::merge_group(*d.rep, a.pos[0], consolidated_args(a, a.pos[1]), now); !r) return fail(r.err());
    return done(0);
  }
  if (cmd == "forward-plan") {
    if (!a.pos.empty() && a.pos[0] == "edit") {
      if (!need(2, "edit ROW")) return 2;
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
    if (!need(2, "PRIORITY MEMBERS")) return 2;
    if (auto s = wf::set_priority_leads(*d.rep, a.pos[0], split_list(a.pos[1]), now); !s) return fail(s.err());
    return done(0);
  }
  if (cmd == "kloe") {
    std::string sub = a.pos.empty() ? std::string{} : a.pos[0];
    if (sub == "draft") {
      if (!need(2, "draft BULLETS")) return 2;
      wf::kloe k;
      k.priority = a.get("priority");
      k.topic = a.get("topic");
      k.target_meeting = a.get("meeting");
      k.approach = a.get("approach", "Agenda");
      k.bullets = a.pos[1];
      auto id = wf::draft_kloe(*d.rep, k, now);
      return created(id);
    }
    if (sub == "list") {
      auto ks = wf::kloes(*d.rep, a.pos.size() > 1 ? a.pos[1] : std::string{});
      if (!ks) return fail(ks.err());
      for (auto& k : *ks)
        std::cout << k.id << "  " << k.approach << "  " << k.target_meeting << "  " << k.topic << "\n" << k.bullets << "\n";
      return 0;
    }
    return fail("kloe draft ... | kloe list [PRIORITY]");
  }
  if (cmd == "submission") {
    if (!need(1, "TEXT")) return 2;
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
    if (!need(1, "MEETING")) return 2;
    auto ss = wf::submissions(*d.rep, a.pos[0]);
    if (!ss) return fail(ss.err());
    for (auto& x : *ss)
      std::cout << x.id << "  " << x.kind << "  " << (x.accepted ? "accepted" : "not accepted: " + x.reason) << "  " << x.name
                << "  (" << x.words << " words)\n";
    return 0;
  }
  std::cerr << usage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
