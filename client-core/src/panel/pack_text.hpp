// Pack import, internal: the text helpers the agenda reader and the document
// structuring share (case-insensitive matching, page ranges, times, months),
// and the line every input becomes (text, page, line number, size, weight).
#pragma once
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "packline/panel/pack_import.hpp"

namespace packline::pack::detail {

// One line of the neutral form, numbered within its page (or within the file
// when the source has no pages).
struct line {
  std::string text;
  int page = 0;  // 1-based physical page; 0 when the source marks none
  int no = 0;    // 1-based line number on that page
  double size = 0;
  // Set apart from the body text: bold in plain text ("**"), or, in a PDF,
  // printed larger than the body (size, not weight, so every PDF reader agrees).
  bool strong = false;
};

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

inline std::string_view trim(std::string_view s) {
  for (;;) {
    std::size_t before = s.size();
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    // Non-breaking spaces left by converters.
    while (s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0xc2 && static_cast<unsigned char>(s[1]) == 0xa0) s.remove_prefix(2);
    while (s.size() >= 2 && static_cast<unsigned char>(s[s.size() - 2]) == 0xc2 && static_cast<unsigned char>(s.back()) == 0xa0)
      s.remove_suffix(2);
    if (s.size() == before) return s;
  }
}

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = ascii_lower(c);
  return o;
}

inline bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (ascii_lower(s[i]) != ascii_lower(p[i])) return false;
  return true;
}

inline bool contains_ci(std::string_view s, std::string_view p) {
  return std::search(s.begin(), s.end(), p.begin(), p.end(), [](char a, char b) { return ascii_lower(a) == ascii_lower(b); }) !=
         s.end();
}

inline bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
inline bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

inline bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// Share of upper-case among ASCII letters (-1 when there are fewer than 3).
inline double upper_ratio(std::string_view s) {
  int letters = 0, upper = 0;
  for (char c : s) {
    if (is_alpha(c)) {
      ++letters;
      if (std::isupper(static_cast<unsigned char>(c))) ++upper;
    }
  }
  return letters < 3 ? -1.0 : static_cast<double>(upper) / letters;
}

// En and em dashes as '-', runs of spaces and tabs as one space.
inline std::string plain_dashes(std::string_view s) {
  std::string t;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0x93 || static_cast<unsigned char>(s[i + 2]) == 0x94)) {
      t += '-';
      i += 2;
    } else if (c == '\t' || c == ' ') {
      if (t.empty() || t.back() != ' ') t += ' ';
    } else {
      t += static_cast<char>(c);
    }
  }
  return t;
}

// "5 - 14", "5-14", "5 – 14", "5 to 14" or "7" (the whole string).
inline bool parse_range(std::string_view s, int& first, int& last) {
  std::string t;
  for (char c : plain_dashes(trim(s)))
    if (c != ' ') t += c;
  auto to = lower(t).find("to");
  std::size_t dash = t.find('-');
  std::size_t cut = dash != std::string::npos ? dash : to;
  std::size_t skip = dash != std::string::npos ? 1 : 2;
  if (cut == std::string::npos) {
    if (!all_digits(t) || t.size() > 4) return false;
    first = last = std::stoi(t);
    return first > 0;
  }
  std::string a = t.substr(0, cut), b = t.substr(cut + skip);
  if (!all_digits(a) || !all_digits(b) || a.size() > 4 || b.size() > 4) return false;
  first = std::stoi(a);
  last = std::stoi(b);
  return first > 0 && last >= first && last - first < 1000;
}

inline constexpr std::array<std::string_view, 12> month_names = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"};

inline int month_of(std::string_view w) {
  std::string l = lower(w);
  if (l.size() < 3) return 0;
  if (l == "sept") return 9;
  for (std::size_t i = 0; i < month_names.size(); ++i)
    if (month_names[i] == l || (l.size() == 3 && month_names[i].substr(0, 3) == l)) return static_cast<int>(i) + 1;
  return 0;
}

inline std::vector<std::string> words_of(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) cur += c;
    else if (!cur.empty()) out.push_back(std::exchange(cur, {}));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

inline std::string two(int v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

// "10.00 am", "2.30pm", "10am", "6 p.m.", "14:00", "noon" → "HH:MM" ("" if none).
inline std::string parse_time(std::string_view s) {
  std::string l = lower(s);
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (!is_digit(l[i]) || (i > 0 && (is_digit(l[i - 1]) || l[i - 1] == '/' || l[i - 1] == '.' || l[i - 1] == ':'))) continue;
    std::size_t j = i;
    int h = 0, m = 0;
    while (j < l.size() && is_digit(l[j]) && j - i < 2) h = h * 10 + (l[j++] - '0');
    if (j < l.size() && is_digit(l[j])) continue;
    bool has_min = false;
    if (j + 2 < l.size() && (l[j] == '.' || l[j] == ':') && is_digit(l[j + 1]) && is_digit(l[j + 2]) &&
        (j + 3 >= l.size() || !is_digit(l[j + 3]))) {
      m = (l[j + 1] - '0') * 10 + (l[j + 2] - '0');
      j += 3;
      has_min = true;
    }
    if (j < l.size() && (l[j] == '.' || l[j] == ':') && has_min && j + 1 < l.size() && is_digit(l[j + 1])) continue;  // 01:20:24
    std::size_t k = j;
    while (k < l.size() && l[k] == ' ') ++k;
    bool am = l.compare(k, 2, "am") == 0 || l.compare(k, 4, "a.m.") == 0;
    bool pm = l.compare(k, 2, "pm") == 0 || l.compare(k, 4, "p.m.") == 0;
    if ((am || pm) && k + 2 < l.size() && l.compare(k, 2, "am") == 0 && is_alpha(l[k + 2])) am = false;  // "10 among"
    if ((am || pm) && k + 2 < l.size() && l.compare(k, 2, "pm") == 0 && is_alpha(l[k + 2])) pm = false;
    if (!am && !pm && !(has_min && l[j - 3] == ':')) continue;  // "10.30" alone may be a number; "10:30" is a time
    if ((am || pm) && (h < 1 || h > 12)) continue;
    if (pm && h < 12) h += 12;
    if (am && h == 12) h = 0;
    if (h > 23 || m > 59) continue;
    return two(h) + ":" + two(m);
  }
  if (l.find("noon") != std::string::npos) return "12:00";
  return {};
}

// "Page 7" on a line of its own (a printed page's footer or header).
inline bool is_page_marker(std::string_view s, int* n = nullptr) {
  s = trim(s);
  if (!starts_with_ci(s, "page ")) return false;
  auto rest = trim(s.substr(5));
  if (!all_digits(rest) || rest.size() > 4) return false;
  if (n) *n = std::stoi(std::string(rest));
  return true;
}

// Which of "To Follow", "Verbal Report"/"Verbal", "To Note" the text is ("" if none).
inline std::string paper_note(std::string_view s) {
  std::string l = lower(trim(s));
  while (!l.empty() && (l.front() == '(' || l.front() == '[')) l.erase(0, 1);
  while (!l.empty() && (l.back() == ')' || l.back() == ']' || l.back() == '.')) l.pop_back();
  if (l == "to follow" || l == "report to follow" || l == "papers to follow") return "To Follow";
  if (l == "verbal" || l == "verbal report" || l == "verbal update") return "Verbal Report";
  if (l == "to note" || l == "for information") return "To Note";
  return {};
}

// Reads the front sheet and the agenda list from the lines (agenda_read.cpp).
// Fills p.meeting and p.items (with evidence and confidence); returns the
// index of the first line after the agenda (0 when no agenda was found).
std::size_t read_agenda(parsed& p, const std::vector<line>& lines);
// The items an outline gives when the text gave none, and the physical page
// each item's papers start on (0: unknown), by outline, page labels or pages.
std::vector<int> paper_pages(parsed& p, const source& s);

// ---- labels ------------------------------------------------------------------

enum class label { none, body, date, time, venue, membership, quorum, chair, vice };

struct label_word {
  std::string_view word;
  label kind;
};
// Longest first, so "Date and Time" wins over "Date".
constexpr std::array<label_word, 33> label_words = {{
    {"members of the committee", label::membership}, {"members of the panel", label::membership},
    {"members of the board", label::membership}, {"membership of the committee", label::membership},
    {"membership of the panel", label::membership}, {"membership of the board", label::membership},
    {"date and time", label::date}, {"date & time", label::date}, {"meeting date", label::date}, {"date", label::date},
    {"time", label::time}, {"venue", label::venue}, {"place", label::venue}, {"location", label::venue},
    {"where", label::venue}, {"panel membership", label::membership}, {"committee membership", label::membership},
    {"membership", label::membership}, {"panel members", label::membership}, {"committee members", label::membership},
    {"members", label::membership}, {"councillors", label::membership}, {"quorum", label::quorum},
    {"vice-chairmen", label::vice}, {"vice-chairs", label::vice}, {"vice-chairman", label::vice},
    {"vice-chair", label::vice}, {"vice chairman", label::vice}, {"vice chair", label::vice},
    {"chairman", label::chair}, {"chair", label::chair}, {"committee", label::body}, {"meeting", label::body},
}};

// "Date: 5 March", "Date\t5 March", "Date" alone: the label and what follows.
inline label label_at(std::string_view t, std::string& value) {
  for (auto& lw : label_words) {
    if (!starts_with_ci(t, lw.word)) continue;
    std::string_view rest = t.substr(lw.word.size());
    if (!rest.empty() && (is_alpha(rest[0]) || rest[0] == '-')) continue;
    std::string_view r = rest;
    while (!r.empty() && r[0] == ' ') r.remove_prefix(1);
    bool colon = !r.empty() && (r[0] == ':' || r[0] == '-' || (r.size() >= 3 && r.substr(0, 3) == "\xe2\x80\x93"));
    bool tab = !rest.empty() && rest[0] == '\t';
    bool alone = trim(rest).empty();
    if (!colon && !tab && !alone) {
      // "Membership (Quorum 3)" and "Quorum 3" read without a colon.
      if (!(lw.kind == label::membership && !r.empty() && r[0] == '(') && !(lw.kind == label::quorum)) continue;
    }
    if ((lw.kind == label::body || lw.kind == label::chair || lw.kind == label::vice) && !colon && !tab) continue;
    if (colon) r.remove_prefix(r[0] == ':' || r[0] == '-' ? 1 : 3);
    value = std::string(trim(r));
    return lw.kind;
  }
  return label::none;
}

// "Date: 5 March 2019 Time: 2.30 pm Venue: Room 1": the labelled parts of one line.
inline std::vector<std::pair<label, std::string>> labelled_parts(std::string_view t) {
  std::vector<std::size_t> cuts{0};
  std::string l = lower(t);
  for (std::string_view w : {"time:", "venue:", "place:", "location:", "date:"}) {
    for (std::size_t at = l.find(w, 1); at != std::string::npos; at = l.find(w, at + 1))
      if (l[at - 1] == ' ' || l[at - 1] == '\t' || l[at - 1] == ',' || l[at - 1] == '|') cuts.push_back(at);
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::pair<label, std::string>> out;
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    std::size_t end = k + 1 < cuts.size() ? cuts[k + 1] : t.size();
    std::string_view part = trim(t.substr(cuts[k], end - cuts[k]));
    while (!part.empty() && (part.back() == ',' || part.back() == '|')) part = trim(part.substr(0, part.size() - 1));
    std::string value;
    label kind = label_at(part, value);
    if (kind == label::none && k > 0) continue;
    out.push_back({kind, kind == label::none ? std::string(part) : value});
  }
  return out;
}

// A running banner: the panel's name in capitals ("DORSET POLICE AND CRIME PANEL").
inline bool is_banner(std::string_view s) {
  if (contains_ci(s, "police and crime panel") || contains_ci(s, "police & crime panel")) return true;
  if (upper_ratio(s) < 0.8) return false;
  for (std::string_view w : {"panel", "committee", "board", "cabinet", "council", "commission"})
    if (contains_ci(s, w)) return true;
  return false;
}

// The front sheet (pack_front.cpp): meeting, date, time, venue, membership
// and quorum, from the lines before the agenda (`end`).
void read_front(parsed& p, const std::vector<line>& ls, std::size_t end);
// "Agenda", "Items of business", a table header "Item  Title  Pages"...
bool agenda_heading(std::string_view t);

// The deadline for public questions a pack prints ("The deadline ... is
// 8.30am on Monday 7 December 2020.") as "YYYY-MM-DD HH:MM" ("" : none).
std::string read_deadline(std::string_view s);

// The structuring steps after the agenda, one file each (pack_documents.cpp,
// pack_plan.cpp, pack_answers.cpp).
void mark_pages(parsed& p);
std::string first_heading_title(const std::vector<block>& bs, std::size_t from, std::size_t to, const std::string& fallback);
void find_documents(parsed& p, std::size_t agenda_end, const std::vector<int>& start_page);
void split_appendices(parsed& p);
void parse_forward_plan(parsed& p);
std::string title_case(std::string_view s);
void parse_priorities(parsed& p);
void parse_answers(parsed& p);

}  // namespace packline::pack::detail
