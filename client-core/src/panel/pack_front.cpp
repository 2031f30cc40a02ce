// Pack import: the front sheet, read in the shapes councils publish it —
// labels on one line or several or all on one line, membership as a list,
// paragraph or table with the chair marked in any of the usual ways. Each
// thing read keeps its line and a confidence.
#include <map>

#include "panel/pack_text.hpp"

namespace packline::pack::detail {
namespace {

void note_found(meeting_info& m, const std::string& field, const line& l, double confidence) {
  for (auto& f : m.found)
    if (f.first == field) return;
  m.found.push_back({field, evidence{l.page, l.no, confidence}});
}

// ---- names ---------------------------------------------------------------------

enum class role { none, chair, vice };

role role_word(std::string_view s) {
  std::string l = lower(trim(s));
  while (!l.empty() && (l.front() == '(' || l.front() == '-' || l.front() == ',')) l.erase(0, 1);
  while (!l.empty() && (l.back() == ')' || l.back() == '.' || l.back() == ',')) l.pop_back();
  l = std::string(trim(l));
  for (auto& c : l)
    if (c == '-') c = ' ';
  if (l == "chair" || l == "chairman" || l == "chairwoman" || l == "chairperson" || l == "the chair") return role::chair;
  if (l == "vice chair" || l == "vice chairman" || l == "vice chairwoman" || l == "vice chairperson" || l == "deputy chair" ||
      l == "vice chairs")
    return role::vice;
  return role::none;
}

bool namey(std::string_view n) {
  if (n.empty() || n.size() > 60 || !std::isupper(static_cast<unsigned char>(n[0]))) return false;
  if (std::any_of(n.begin(), n.end(), [](char c) { return is_digit(c) || c == ':' || c == '@' || c == '/'; })) return false;
  auto w = words_of(n);
  if (w.empty() || w.size() > 7) return false;
  int low = 0;
  for (auto& x : w)
    if (std::islower(static_cast<unsigned char>(x[0]))) ++low;
  return low <= 1;
}

// A party's name in a membership table's column.
bool party(std::string_view n) {
  std::string l = lower(trim(n));
  for (std::string_view w : {"conservative", "labour", "liberal democrat", "liberal democrats", "lib dem", "green", "green party",
                             "independent", "reform", "reform uk", "plaid cymru", "snp", "lab", "con", "ld", "ind", "grn",
                             "labour and co-operative", "non-aligned", "member"})
    if (l == w) return true;
  return false;
}

// Splits membership text into names; marks the chair and vice-chairs. Returns
// how many names it read; stops (returning what it has) at a part that is not a name.
int read_names(meeting_info& m, std::string_view text, bool& stopped) {
  std::string s(text);
  for (std::string_view pre : {"Councillors ", "Cllrs ", "Cllrs. "})
    if (starts_with_ci(s, pre)) s = s.substr(pre.size());
  std::vector<std::string> parts;
  std::string cur;
  auto flush = [&] {
    std::string t(trim(cur));
    if (!t.empty()) parts.push_back(t);
    cur.clear();
  };
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(') ++depth;
    if (c == ')') depth = std::max(0, depth - 1);
    if (depth == 0 && (c == '\t' || c == '\n' || c == ';' || c == ',')) {
      flush();
      continue;
    }
    if (depth == 0 && c == ' ' && s.compare(i, 5, " and ") == 0) {
      flush();
      i += 4;
      continue;
    }
    cur += c;
  }
  flush();
  int n = 0;
  auto set_role = [&](role r, const std::string& name) {
    if (r == role::chair && m.chair.empty()) m.chair = name;
    if (r == role::vice && std::find(m.vice_chairs.begin(), m.vice_chairs.end(), name) == m.vice_chairs.end())
      m.vice_chairs.push_back(name);
  };
  for (auto& p : parts) {
    role rw = role_word(p);
    if (rw != role::none) {
      if (!m.members.empty()) set_role(rw, m.members.back());
      continue;
    }
    std::string name;
    role r = role::none;
    bool independent = false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != '(') {
        name += p[i];
        continue;
      }
      auto close = p.find(')', i);
      std::string tag = lower(p.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1));
      if (tag.find("vice") != std::string::npos || tag.find("deputy") != std::string::npos) r = role::vice;
      else if (tag.find("chair") != std::string::npos) r = role::chair;
      else if (tag.find("independent") != std::string::npos) independent = true;
      if (close == std::string::npos) break;
      i = close;
    }
    std::string nm(trim(plain_dashes(name)));
    if (party(nm)) {
      if (lower(nm).rfind("independent", 0) == 0 && !m.members.empty()) m.independent_members.push_back(m.members.back());
      continue;
    }
    // "Jane Smith - Chair", "Jane Smith Vice-Chair".
    for (std::string_view suffix : {" vice-chairman", " vice chairman", " vice-chair", " vice chair", " deputy chair", " chairman",
                                    " chairwoman", " chair"}) {
      if (nm.size() > suffix.size() && lower(nm).rfind(suffix) == nm.size() - suffix.size()) {
        r = role_word(suffix);
        nm = std::string(trim(nm.substr(0, nm.size() - suffix.size())));
        break;
      }
    }
    while (!nm.empty() && (nm.back() == '-' || nm.back() == '.' || nm.back() == ' ')) nm.pop_back();
    if (nm.empty()) continue;
    if (!namey(nm)) {
      stopped = true;
      return n;
    }
    m.members.push_back(nm);
    if (independent) m.independent_members.push_back(nm);
    set_role(r, nm);
    ++n;
  }
  return n;
}

int number_word(std::string_view w) {
  static constexpr std::array<std::string_view, 21> words = {"zero",  "one",    "two",     "three",   "four",     "five",    "six",
                                                             "seven", "eight",  "nine",    "ten",     "eleven",   "twelve",  "thirteen",
                                                             "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
  std::string l = lower(w);
  for (std::size_t i = 0; i < words.size(); ++i)
    if (words[i] == l) return static_cast<int>(i);
  return all_digits(l) && l.size() <= 2 ? std::stoi(l) : -1;
}

// The first number (digits or a word) after "quorum" in the text.
int read_quorum(std::string_view t) {
  auto at = lower(t).find("quorum");
  if (at == std::string::npos) return 0;
  auto w = words_of(t.substr(at + 6));
  for (std::size_t i = 0; i < w.size() && i < 8; ++i) {
    int n = number_word(w[i]);
    if (n > 0) return n;
  }
  return 0;
}

// 2: names a committee ("panel", "committee", ...); 1: names a council or authority; 0: neither.
int body_word(std::string_view t) {
  for (std::string_view w : {"panel", "committee", "board", "cabinet", "commission", "forum", "scrutiny", "partnership"})
    if (contains_ci(t, w)) return 2;
  for (std::string_view w : {"council", "authority", "assembly", "group"})
    if (contains_ci(t, w)) return 1;
  return 0;
}

}  // namespace

// "The deadline ... is 8.30am on Monday 7 December 2020."
std::string read_deadline(std::string_view s) {
  if (!contains_ci(s, "deadline")) return {};
  std::string d = parse_date(s), t = parse_time(s);
  if (d.empty() || t.empty()) return {};
  return d + " " + t;
}

namespace {

// ---- the front sheet ---------------------------------------------------------

std::size_t next_text(const std::vector<line>& ls, std::size_t i, std::size_t end, std::size_t max_skip = 3) {
  for (std::size_t j = i + 1; j < end && j <= i + max_skip; ++j)
    if (!trim(ls[j].text).empty()) return j;
  return end;
}

}  // namespace

void read_front(parsed& p, const std::vector<line>& ls, std::size_t end) {
  auto& m = p.meeting;
  std::size_t date_line = ls.size();
  auto labelled = [&](std::size_t j) {
    std::string v;
    return label_at(trim(ls[j].text), v) != label::none;
  };
  for (std::size_t i = 0; i < end; ++i) {
    std::string_view t = trim(ls[i].text);
    if (t.empty()) continue;
    for (auto& [kind, value0] : labelled_parts(t)) {
      std::string value = value0;
      std::size_t at = i;
      if (kind != label::none && kind != label::membership && kind != label::quorum && value.empty()) {
        at = next_text(ls, i, end);
        if (at == end || labelled(at)) continue;
        value = std::string(trim(ls[at].text));
      }
      switch (kind) {
        case label::date:
          if (m.date.empty() && !parse_date(value).empty()) {
            m.date = parse_date(value);
            note_found(m, "date", ls[at], 0.95);
            date_line = at;
          }
          if (m.time.empty() && !parse_time(value).empty()) {
            m.time = parse_time(value);
            note_found(m, "time", ls[at], 0.9);
          }
          break;
        case label::time:
          if (m.time.empty() && !parse_time(value).empty()) {
            m.time = parse_time(value);
            note_found(m, "time", ls[at], 0.95);
          }
          break;
        case label::venue:
          if (m.venue.empty()) {
            m.venue = value;
            // A venue printed over several lines, up to a blank line or a label.
            for (std::size_t j = at + 1; j < end && j <= at + 3; ++j) {
              std::string_view n = trim(ls[j].text);
              if (n.empty() || labelled(j) || labelled_parts(n).size() > 1 || n.size() > 80 || !parse_date(n).empty()) break;
              if (ls[j].page != ls[at].page || (m.venue.back() != ',' && at == i)) break;
              m.venue += m.venue.back() == ',' ? " " : ", ";
              m.venue += n;
            }
            note_found(m, "venue", ls[at], 0.9);
          }
          break;
        case label::quorum:
          if (!m.quorum) {
            m.quorum = read_quorum(t);
            if (m.quorum) note_found(m, "quorum", ls[i], 0.9);
          }
          break;
        case label::chair:
        case label::vice: {
          bool stopped = false;
          meeting_info tmp;
          read_names(tmp, value, stopped);
          for (auto& n : tmp.members) {
            if (kind == label::chair && m.chair.empty()) m.chair = n;
            if (kind == label::vice) m.vice_chairs.push_back(n);
            if (std::find(m.members.begin(), m.members.end(), n) == m.members.end()) m.members.push_back(n);
          }
          if (!tmp.members.empty()) note_found(m, kind == label::chair ? "chair" : "vice_chair", ls[i], 0.9);
          break;
        }
        case label::body:
          if (m.body.empty() && body_word(value)) {
            m.body = value;
            note_found(m, "body", ls[i], 0.9);
          }
          break;
        case label::membership: {
          if (!m.members.empty() && m.membership.size() > 0) break;
          if (!m.quorum && contains_ci(t, "quorum")) {
            m.quorum = read_quorum(t);
            if (m.quorum) note_found(m, "quorum", ls[i], 0.9);
          }
          std::string first = value;
          if (!first.empty() && (first[0] == '(' || contains_ci(first, "quorum"))) first.clear();
          std::string printed;
          bool stopped = false;
          int before = static_cast<int>(m.members.size());
          if (!first.empty()) {
            read_names(m, first, stopped);
            printed = first;
          }
          // Names on the following lines: a list, a paragraph or table rows.
          std::size_t j = i + 1;
          bool seen = !first.empty();
          for (; j < end && !stopped; ++j) {
            std::string_view n = trim(ls[j].text);
            if (agenda_heading(n)) break;
            if (n.empty()) {
              if (!first.empty()) break;
              if (seen && (j + 1 >= end || trim(ls[j + 1].text).empty() || !namey(std::string(trim(ls[j + 1].text)).substr(0, 60))))
                break;
              continue;
            }
            std::string v;
            if (label_at(n, v) != label::none || contains_ci(n, "quorum")) {
              if (contains_ci(n, "quorum") && !m.quorum) {
                m.quorum = read_quorum(n);
                if (m.quorum) note_found(m, "quorum", ls[j], 0.9);
              }
              if (label_at(n, v) != label::none) break;
              continue;
            }
            int got = read_names(m, n, stopped);
            if (got == 0) break;
            if (!printed.empty()) printed += ", ";
            printed += n;
            seen = true;
          }
          if (static_cast<int>(m.members.size()) > before) {
            m.membership = printed;
            note_found(m, "members", ls[i], 0.85);
            if (!m.chair.empty()) note_found(m, "chair", ls[i], 0.85);
          }
          i = std::max(i, j == 0 ? i : j - 1);
          break;
        }
        case label::none:
          break;
      }
    }
  }
  if (!m.vice_chairs.empty()) m.vice_chair = m.vice_chairs.front();
  // Unlabelled: the first date on the front sheet, the time beside or under it.
  if (m.date.empty()) {
    for (std::size_t i = 0; i < end; ++i) {
      std::string_view t = trim(ls[i].text);
      if (t.size() > 160 || parse_date(t).empty()) continue;
      std::string l = lower(t);
      if (l.find("publish") != std::string::npos || l.find("issue") != std::string::npos ||
          l.find("despatch") != std::string::npos || l.find("dispatch") != std::string::npos ||
          l.find("deadline") != std::string::npos || l.find("minutes") != std::string::npos)
        continue;
      m.date = parse_date(t);
      note_found(m, "date", ls[i], 0.75);
      date_line = i;
      break;
    }
  }
  if (m.time.empty() && date_line < end) {
    for (std::size_t j = date_line; j < end && j <= date_line + 2; ++j) {
      std::string tm = parse_time(ls[j].text);
      if (tm.empty() || contains_ci(ls[j].text, "deadline")) continue;
      m.time = tm;
      note_found(m, "time", ls[j], 0.75);
      break;
    }
  }
  if (!m.quorum) {
    for (std::size_t i = 0; i < end; ++i)
      if (contains_ci(ls[i].text, "quorum") && (m.quorum = read_quorum(ls[i].text)) > 0) {
        note_found(m, "quorum", ls[i], 0.8);
        break;
      }
  }
  // The body: the largest print on the first page, or the first line that names a committee.
  if (m.body.empty()) {
    std::size_t best = end;
    double best_size = 0;
    for (std::size_t i = 0; i < end && i < 40; ++i) {
      std::string_view t = trim(ls[i].text);
      if (t.empty() || t.size() > 100 || ls[i].size <= 0 || ls[i].page > 1 || words_of(t).size() < 2) continue;
      std::string v;
      if (label_at(t, v) != label::none || !parse_date(t).empty() || contains_ci(t, "agenda")) continue;
      if (ls[i].size > best_size + 0.5) {
        best_size = ls[i].size;
        best = i;
      }
    }
    if (best == end || body_word(ls[best].text) < 2) {
      // The first line that names a committee, else the first that names a council.
      std::size_t first[3] = {end, end, end};
      for (std::size_t i = 0; i < end && i < 40; ++i) {
        std::string_view t = trim(ls[i].text);
        std::string v;
        if (t.empty() || t.size() > 100 || t.back() == '.' || label_at(t, v) != label::none) continue;
        if (starts_with_ci(t, "to:") || starts_with_ci(t, "dear") || contains_ci(t, "agenda")) continue;
        int w = body_word(t);
        if (first[w] == end) first[w] = i;
      }
      if (first[2] != end) best = first[2];
      else if (best == end) best = first[1];
    }
    if (best != end) {
      std::string b(trim(ls[best].text));
      for (std::string_view pre : {"Meeting of the ", "A meeting of the ", "Meeting of ", "Notice of meeting of the "})
        if (starts_with_ci(b, pre)) b = b.substr(pre.size());
      m.body = b;
      note_found(m, "body", ls[best], 0.8);
    }
  }
}

}  // namespace packline::pack::detail
