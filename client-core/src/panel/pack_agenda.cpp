// Pack import: the agenda list, read in the shapes councils publish it —
// items numbered "1", "1.", "Item 1", "(1)", "4.1", "5(a)", roman numerals or
// minute numbers (or not at all), page ranges wherever they are printed. Each
// thing read keeps its line and a confidence.
#include <map>

#include "panel/pack_text.hpp"

namespace packline::pack::detail {

bool agenda_heading(std::string_view t) {
  std::string l = lower(plain_dashes(trim(t)));
  std::string compact;
  for (char c : l)
    if (c != ' ') compact += c;
  if (compact == "agenda" || compact == "business" || compact == "agendaitems" || compact == "itemsofbusiness" ||
      compact == "orderofbusiness" || compact == "publicagenda")
    return true;
  auto w = words_of(l);
  if (w.size() >= 2 && w.size() <= 5 && w[0] == "agenda" && l.find(':') == std::string::npos && parse_date(l).empty() &&
      (w[1] == "part" || w[1] == "for" || w[1] == "items" || w[1] == "public" || w[1] == "1" || w[1] == "page" ||
       w[1] == "pages" || w[1] == "item"))
    return true;
  // A table header: "Item  Title  Pages", "Item No.\tSubject\tPage".
  return w.size() >= 2 && w.size() <= 6 && w[0] == "item" && (l.find("page") != std::string::npos);
}

namespace {

// ---- agenda items ---------------------------------------------------------------

int roman_value(std::string_view s) {
  std::string l = lower(s);
  if (l.empty() || l.size() > 6 || l.find_first_not_of("ivxl") != std::string::npos) return 0;
  static const std::map<std::string, int> known = {
      {"i", 1},    {"ii", 2},    {"iii", 3},  {"iv", 4},   {"v", 5},    {"vi", 6},   {"vii", 7},  {"viii", 8},
      {"ix", 9},   {"x", 10},    {"xi", 11},  {"xii", 12}, {"xiii", 13}, {"xiv", 14}, {"xv", 15},  {"xvi", 16},
      {"xvii", 17}, {"xviii", 18}, {"xix", 19}, {"xx", 20}};
  auto it = known.find(l);
  return it == known.end() ? 0 : it->second;
}

struct head {
  std::string number, parent, minute, rest;
  int value = 0;      // a top-level item's place in the sequence
  int sub_value = 0;  // a sub-item's place under its parent
  int minute_value = -1;
  bool sub = false, roman = false, letter_sub = false;
};

std::size_t digits_at(std::string_view s, std::size_t i, std::size_t max) {
  std::size_t j = i;
  while (j < s.size() && is_digit(s[j]) && j - i < max + 1) ++j;
  return j - i;
}

// "39/20", "PCP 34.12/13": a minute number at the start of s (its length, 0 if none).
std::size_t minute_at(std::string_view s, std::string& minute, int& value) {
  std::size_t i = 0;
  while (i < s.size() && i < 6 && std::isupper(static_cast<unsigned char>(s[i]))) ++i;
  if (i > 0) {
    if (i < 2 || i >= s.size() || s[i] != ' ') return 0;
    ++i;
  }
  std::size_t d = digits_at(s, i, 3);
  if (d == 0 || d > 3) return 0;
  std::size_t j = i + d;
  if (j < s.size() && s[j] == '.') {
    std::size_t d2 = digits_at(s, j + 1, 2);
    if (d2 == 0 || d2 > 2) return 0;
    j += 1 + d2;
  }
  if (j >= s.size() || s[j] != '/') return 0;
  std::size_t y = digits_at(s, j + 1, 4);
  if (y != 2 && y != 4) return 0;
  j += 1 + y;
  if (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '.') return 0;
  minute = std::string(s.substr(0, j));
  value = std::stoi(std::string(s.substr(i, d)));
  if (j < s.size() && s[j] == '.') ++j;
  return j;
}

bool read_head(std::string_view t0, head& h) {
  std::string s = plain_dashes(t0);
  std::string_view t = s;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < t.size() && t[i] == ' ') ++i;
  };
  bool item_word = false;
  if (starts_with_ci(t, "agenda item ")) i = 12, item_word = true;
  else if (starts_with_ci(t, "item ") && t.size() > 5 && (is_digit(t[5]) || t[5] == '(')) i = 5, item_word = true;
  skip_space();
  std::size_t ml = minute_at(t.substr(i), h.minute, h.minute_value);
  if (ml) {
    i += ml;
    skip_space();
  }
  std::size_t n0 = i;
  std::string_view r = t.substr(i);
  if (!r.empty() && r[0] == '(') {
    auto close = r.find(')');
    if (close == std::string_view::npos || close > 6) return false;
    std::string_view in = r.substr(1, close - 1);
    if (all_digits(in) && in.size() <= 2) h.value = std::stoi(std::string(in));
    else if (in.size() == 1 && std::islower(static_cast<unsigned char>(in[0]))) {
      h.sub = h.letter_sub = true;
      h.sub_value = in[0] - 'a' + 1;
    } else if (int rv = roman_value(in); rv > 0 && std::islower(static_cast<unsigned char>(in[0]))) {
      h.value = rv;
      h.roman = true;
    } else return false;
    h.number = std::string(in);
    i += close + 1;
  } else if (std::size_t d = digits_at(r, 0, 2); d >= 1 && d <= 2) {
    h.value = std::stoi(std::string(r.substr(0, d)));
    h.number = std::string(r.substr(0, d));
    std::size_t j = d;
    if (j + 1 < r.size() && r[j] == '.' && is_digit(r[j + 1])) {  // "4.1"
      std::size_t d2 = digits_at(r, j + 1, 2);
      if (d2 > 2 || (j + 1 + d2 < r.size() && r[j + 1 + d2] != ' ' && r[j + 1 + d2] != '.')) return false;
      h.sub = true;
      h.parent = h.number;
      h.sub_value = std::stoi(std::string(r.substr(j + 1, d2)));
      h.number = std::string(r.substr(0, j + 1 + d2));
      j += 1 + d2;
    } else if (j < r.size() && r[j] == '(' && j + 2 < r.size()) {  // "5(a)", "1(1)"
      auto close = r.find(')', j);
      if (close == std::string_view::npos || close > j + 3) return false;
      std::string_view in = r.substr(j + 1, close - j - 1);
      if (all_digits(in)) h.sub_value = std::stoi(std::string(in));
      else if (in.size() == 1 && std::islower(static_cast<unsigned char>(in[0]))) h.sub_value = in[0] - 'a' + 1, h.letter_sub = true;
      else return false;
      h.sub = true;
      h.parent = h.number;
      h.number = std::string(r.substr(0, close + 1));
      j = close + 1;
    } else if (j < r.size() && std::islower(static_cast<unsigned char>(r[j])) &&
               (j + 1 >= r.size() || r[j + 1] == ' ' || r[j + 1] == '.' || r[j + 1] == ')')) {  // "5a"
      h.sub = h.letter_sub = true;
      h.parent = h.number;
      h.sub_value = r[j] - 'a' + 1;
      h.number = std::string(r.substr(0, j + 1));
      ++j;
    }
    if (j < r.size() && (r[j] == '.' || r[j] == ')' || r[j] == ':')) ++j;
    i += j;
  } else {
    // Roman numerals need their full stop or bracket: "iv." or "IV)".
    std::size_t j = 0;
    while (j < r.size() && j < 6 && std::string_view("ivxlIVXL").find(r[j]) != std::string_view::npos) ++j;
    int rv = j ? roman_value(r.substr(0, j)) : 0;
    if (rv > 0 && j < r.size() && (r[j] == '.' || r[j] == ')')) {
      h.value = rv;
      h.roman = true;
      h.number = std::string(r.substr(0, j));
      i += j + 1;
    } else if (h.minute.empty()) {
      return false;
    }
  }
  if (i > n0 && i < t.size() && t[i] != ' ' && t[i] != '\t') return false;
  if (i == n0 && h.minute.empty()) return false;
  (void)item_word;
  h.rest = std::string(trim(t.substr(i)));
  if (h.rest.empty()) return true;
  unsigned char c = static_cast<unsigned char>(h.rest[0]);
  if (!(std::isupper(c) || c >= 0x80 || c == '\'' || c == '"')) return false;
  if (h.rest.size() > 60 && h.rest.back() == '.') return false;  // a sentence, not a title
  auto w = words_of(h.rest);
  if (!w.empty() && (month_of(w[0]) || lower(w[0]) == "am" || lower(w[0]) == "pm" || lower(w[0]) == "page")) return false;
  return true;
}

std::string range_text(int a, int b) { return a == b ? std::to_string(a) : std::to_string(a) + " - " + std::to_string(b); }

// Takes a printed page range or "To Follow" off the end of a title (the form
// it is printed in: "(Pages 5 - 14)", "Pages 5 to 14", "5 - 14", a tab then
// "7", dot leaders). Returns true when it found one.
bool take_pages(std::string& title, item& it) {
  std::string raw = title;
  std::string t = plain_dashes(raw);
  std::string l = lower(t);
  auto finish = [&](std::size_t cut) {
    std::string rest = t.substr(0, cut);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '-' || rest.back() == '.' || rest.back() == ':' ||
                             rest.back() == ',' || rest.back() == '('))
      rest.pop_back();
    title = std::string(trim(rest));
  };
  // Markers instead of pages.
  for (std::string_view mk : {"(to follow)", "to follow", "(verbal report)", "verbal report", "(verbal)", "(verbal update)",
                              "verbal update", "(to note)", "to note"}) {
    if (l.size() <= mk.size() || l.compare(l.size() - mk.size(), mk.size(), mk) != 0) continue;
    std::size_t cut = l.size() - mk.size();
    char before = t[cut - 1];
    bool sep = mk[0] == '(' || before == '-' || raw.find('\t') != std::string::npos ||
               (cut >= 2 && t[cut - 1] == ' ' && raw.find("  ") != std::string::npos) || before == '.';
    if (!sep) continue;
    it.note = paper_note(mk);
    finish(cut);
    return true;
  }
  // "(Pages 5 - 14)", "(Page 5)", "(pp. 5-14)".
  if (!l.empty() && l.back() == ')') {
    auto open = l.rfind('(');
    if (open != std::string::npos) {
      std::string in = l.substr(open + 1, l.size() - open - 2);
      for (std::string_view w : {"pages", "page", "pp.", "pp", "p."})
        if (in.rfind(w, 0) == 0) {
          int a = 0, b = 0;
          if (parse_range(in.substr(w.size()), a, b)) {
            it.first_page = a, it.last_page = b, it.pages = range_text(a, b);
            finish(open);
            return true;
          }
          break;
        }
    }
  }
  // "Pages 5 to 14", "Page 7" at the end.
  for (std::string_view w : {" pages ", " page "}) {
    auto at = (" " + l).rfind(w);
    if (at == std::string::npos) continue;
    int a = 0, b = 0;
    std::size_t from = at + w.size() - 1;
    if (from <= l.size() && parse_range(l.substr(from), a, b)) {
      it.first_page = a, it.last_page = b, it.pages = range_text(a, b);
      finish(at == 0 ? 0 : at - 1);
      return true;
    }
  }
  // "5 - 14" or "5-14" at the end, after a space.
  std::size_t e = l.size();
  std::size_t d2 = 0;
  while (d2 < e && is_digit(l[e - 1 - d2])) ++d2;
  if (d2 == 0 || d2 > 3) return false;
  std::size_t k = e - d2;
  std::size_t k2 = k;
  while (k2 > 0 && l[k2 - 1] == ' ') --k2;
  if (k2 > 0 && (l[k2 - 1] == '-' || (k2 >= 3 && l.compare(k2 - 3, 3, " to") == 0))) {
    std::size_t k3 = l[k2 - 1] == '-' ? k2 - 1 : k2 - 3;
    while (k3 > 0 && l[k3 - 1] == ' ') --k3;
    std::size_t d1 = 0;
    while (d1 < k3 && is_digit(l[k3 - 1 - d1])) ++d1;
    if (d1 > 0 && d1 <= 3 && (k3 - d1 == 0 || l[k3 - d1 - 1] == ' ')) {
      int a = 0, b = 0;
      if (parse_range(l.substr(k3 - d1), a, b)) {
        if (k3 - d1 == 0) {  // the whole line is a range: no title
          it.first_page = a, it.last_page = b, it.pages = range_text(a, b);
          title.clear();
          return true;
        }
        it.first_page = a, it.last_page = b, it.pages = range_text(a, b);
        finish(k3 - d1);
        return true;
      }
    }
    return false;
  }
  // A lone page number needs a tab, a wide gap or dot leaders before it.
  bool gap = raw.find('\t') != std::string::npos || raw.find("  ") != std::string::npos || l.find("..") != std::string::npos;
  if (!gap || k2 == 0 || k == 0) return false;
  int a = std::stoi(l.substr(k));
  if (a <= 0) return false;
  std::string trimmed_raw(trim(raw));
  // The gap must be right before the number.
  std::size_t rk = trimmed_raw.size() - d2;
  if (rk == 0) return false;
  char before = trimmed_raw[rk - 1];
  if (!(before == '\t' || before == '.' || (before == ' ' && rk >= 2 && (trimmed_raw[rk - 2] == ' ' || trimmed_raw[rk - 2] == '.'))))
    return false;
  it.first_page = it.last_page = a;
  it.pages = std::to_string(a);
  finish(k);
  return true;
}

bool exempt_words(std::string_view t) {
  std::string l = lower(t);
  for (std::string_view w : {"exempt", "(part 2)", "(part ii)", "part 2 ", "(private)", "private item", "in private",
                             "confidential", "not for publication", "(part b)"})
    if (l.find(w) != std::string::npos) return true;
  auto ends = [&](std::string_view w) { return l.size() >= w.size() && l.compare(l.size() - w.size(), w.size(), w) == 0; };
  return ends("part 2") || ends("private");
}

// "PART 2 - EXEMPT ITEMS", "Items in private", "Part II": the items after it are exempt.
// Returns 1 for a private part, -1 for a public part ("Part 1 - Public"), 0 for neither.
int part_heading(std::string_view t) {
  if (t.size() > 110 || t.back() == '.') return 0;
  std::string l = lower(plain_dashes(t));
  bool part = l.rfind("part ", 0) == 0;
  if (part) {
    std::string w = words_of(l.substr(5)).empty() ? std::string{} : words_of(l.substr(5))[0];
    if (w == "2" || w == "ii" || w == "b" || w == "two") return 1;
    if (w == "1" || w == "i" || w == "a" || w == "one") return -1;
  }
  if (l.find("public") != std::string::npos && l.find("press and public") == std::string::npos &&
      l.find("public participation") == std::string::npos && l.find("questions") == std::string::npos &&
      (l.find("items") != std::string::npos || l.find("business") != std::string::npos || part))
    return -1;
  if ((l.find("exempt") != std::string::npos || l.find("private") != std::string::npos ||
       l.find("confidential") != std::string::npos) &&
      (l.find("items") != std::string::npos || l.find("business") != std::string::npos || l.find("part") != std::string::npos ||
       l.find("session") != std::string::npos || upper_ratio(t) > 0.8))
    return 1;
  return 0;
}

bool table_header(std::string_view t) {
  std::string l = lower(trim(t));
  auto w = words_of(l);
  if (w.empty() || w.size() > 6) return false;
  if (l == "page no." || l == "page no" || l == "pages" || l == "page" || l == "page nos" || l == "page nos.") return true;
  return w[0] == "item" && l.find("page") != std::string::npos;
}

bool ends_sentence(std::string_view t) {
  t = trim(t);
  return !t.empty() && (t.back() == '.' || t.back() == '?' || t.back() == '!' || t.back() == ':');
}

bool caps_banner(std::string_view t) { return upper_ratio(t) > 0.9 && words_of(t).size() >= 2; }

struct agenda_state {
  int last_top = 0;
  bool roman = false;
  int last_minute = -1;
  bool minute_only = false;
  std::string top_number;  // current top-level item's number
  int last_sub = 0;
  bool part_switch = false;
};

bool fits(const head& h, const agenda_state& st, std::size_t items) {
  if (h.sub) {
    if (items == 0) return false;
    if (!h.parent.empty() && h.parent != st.top_number) return false;
    return h.sub_value == st.last_sub + 1;
  }
  if (h.number.empty()) return st.minute_only || items == 0 ? (items == 0 || h.minute_value == st.last_minute + 1) : false;
  if (items == 0) return h.value == 1 || (!h.minute.empty() && h.value >= 1);
  if (h.roman != st.roman && !(h.roman && h.value == 1 && st.last_top == 0)) return false;
  if (st.part_switch && h.value == 1) return true;
  return h.value == st.last_top + 1;
}

}  // namespace

std::size_t read_agenda(parsed& p, const std::vector<line>& ls) {
  // The agenda heading, on the first pages.
  std::size_t heading = ls.size();
  for (std::size_t i = 0; i < ls.size() && i < 600; ++i) {
    if (ls[i].page > 8) break;
    if (agenda_heading(ls[i].text)) {
      heading = i;
      break;
    }
  }
  bool has_heading = heading < ls.size();
  std::size_t start = has_heading ? heading + 1 : 0;
  std::size_t limit = std::min(ls.size(), start + 2500);

  agenda_state st;
  std::vector<item> items;
  std::vector<std::size_t> item_line;
  std::size_t first_item_line = ls.size(), end = 0;
  bool exempt_part = false, pending_title = false, desc_open = false, desc_closed = false;
  int after_last = 0;
  int agenda_page = 0;

  // Is an item that would follow the current one printed within the next lines?
  auto ahead_from = [&](std::size_t from, const agenda_state& s0, std::size_t count) {
    int seen = 0;
    for (std::size_t j = from; j < limit && seen < 16; ++j) {
      std::string_view n = trim(ls[j].text);
      if (n.empty()) continue;
      ++seen;
      head h;
      if (read_head(n, h) && fits(h, s0, count)) return true;
      if (part_heading(n) != 0) {
        agenda_state s2 = s0;
        s2.part_switch = true;
        for (std::size_t k = j + 1; k < limit && k < j + 6; ++k) {
          head h2;
          if (read_head(trim(ls[k].text), h2) && fits(h2, s2, count)) return true;
        }
      }
    }
    return false;
  };
  auto next_ahead = [&](std::size_t from) { return ahead_from(from, st, items.size()); };
  // Without an agenda heading, a first item needs a second one after it.
  auto second_ahead = [&](std::size_t from, const head& h) {
    agenda_state s0;
    s0.last_top = h.value, s0.roman = h.roman, s0.top_number = h.number, s0.last_minute = h.minute_value;
    s0.minute_only = h.number.empty();
    s0.last_sub = 1 << 20;  // sub-items do not count
    return ahead_from(from, s0, 1);
  };

  std::size_t i = start;
  for (; i < limit; ++i) {
    std::string_view t = trim(ls[i].text);
    if (t.empty()) {
      if (desc_open) desc_closed = true;
      desc_open = false;
      continue;
    }
    if (!items.empty() && agenda_page > 0 && ls[i].page > agenda_page + 1) break;  // papers begin
    if (is_page_marker(t)) {
      if (!items.empty() && !next_ahead(i + 1)) break;
      continue;
    }
    if (table_header(t)) continue;
    head h;
    bool is_head = read_head(t, h);
    if (is_head && !h.sub && h.value == 1 && items.size() >= 2 && !st.part_switch && !h.number.empty()) break;  // numbering restarts
    if (is_head && fits(h, st, items.size()) && (has_heading || !items.empty() || second_ahead(i + 1, h))) {
      item it;
      it.number = h.number.empty() ? h.minute : h.number;
      it.minute = h.minute;
      it.parent = h.sub ? (h.parent.empty() ? st.top_number : h.parent) : std::string{};
      it.title = h.rest;
      if (!it.title.empty()) take_pages(it.title, it);
      pending_title = it.title.empty();
      double conf = has_heading ? 0.9 : 0.75;
      if (h.sub) conf -= 0.05;
      it.found = evidence{ls[i].page, ls[i].no, conf};
      it.exempt = exempt_part;
      if (!h.sub) {
        st.last_top = h.value;
        st.roman = h.roman;
        st.top_number = h.number;
        st.last_sub = 0;
        st.part_switch = false;
      } else {
        st.last_sub = h.sub_value;
      }
      if (!h.minute.empty()) st.last_minute = h.minute_value;
      st.minute_only = h.number.empty();
      items.push_back(std::move(it));
      item_line.push_back(i);
      if (first_item_line == ls.size()) first_item_line = i;
      agenda_page = ls[i].page;
      desc_open = desc_closed = false;
      continue;
    }
    if (items.empty()) {
      // An unnumbered agenda: titles with their pages or "To Follow".
      item it;
      std::string title(t);
      if (has_heading && take_pages(title, it) && !title.empty() && (std::isupper(static_cast<unsigned char>(title[0])))) {
        // Titles without pages just above it belong to the same list.
        std::size_t back = i;
        while (back > start) {
          std::string_view prev = trim(ls[back - 1].text);
          std::string v;
          if (prev.empty() || prev.size() > 80 || ends_sentence(prev) || !std::isupper(static_cast<unsigned char>(prev[0])) ||
              label_at(prev, v) != label::none || part_heading(prev) != 0 || table_header(prev))
            break;
          --back;
        }
        for (std::size_t j = back; j < i; ++j) {
          item before;
          before.title = std::string(trim(ls[j].text));
          before.found = evidence{ls[j].page, ls[j].no, 0.5};
          before.exempt = exempt_part;
          items.push_back(std::move(before));
          item_line.push_back(j);
        }
        it.title = title;
        it.found = evidence{ls[i].page, ls[i].no, 0.6};
        it.exempt = exempt_part;
        items.push_back(std::move(it));
        item_line.push_back(i);
        first_item_line = item_line.front();
        agenda_page = ls[i].page;
        st.minute_only = false;
        continue;
      }
      if (int ph = part_heading(t); ph != 0) exempt_part = ph > 0;
      continue;
    }
    auto& cur = items.back();
    if (pending_title) {
      std::string title(t);
      take_pages(title, cur);
      cur.title = title;
      pending_title = title.empty();
      continue;
    }
    if (cur.pages.empty() && cur.note.empty()) {
      item probe;
      std::string x(t);
      if (take_pages(x, probe) && x.empty() && probe.note.empty()) {
        cur.first_page = probe.first_page, cur.last_page = probe.last_page, cur.pages = probe.pages;
        continue;
      }
    }
    if (cur.pages.empty() && cur.note.empty() && !paper_note(t).empty()) {
      cur.note = paper_note(t);
      continue;
    }
    if (int ph = part_heading(t); ph != 0 && !ends_sentence(t)) {
      exempt_part = ph > 0;
      st.part_switch = true;
      continue;
    }
    // A title wrapped onto the next line, with its pages at the end.
    if (cur.pages.empty() && cur.note.empty() && cur.description.empty() && !desc_closed) {
      item probe;
      std::string rest(t);
      if (take_pages(rest, probe) && !rest.empty() && rest.size() < 100) {
        cur.title += " " + rest;
        cur.first_page = probe.first_page, cur.last_page = probe.last_page, cur.pages = probe.pages, cur.note = probe.note;
        continue;
      }
      if (ls[i].strong && ls[item_line.back()].strong && ls[i].size == ls[item_line.back()].size && t.size() < 100) {
        cur.title += " " + std::string(t);
        continue;
      }
    }
    // An unnumbered agenda goes on with the next title and its pages.
    if (cur.number.empty() && cur.minute.empty()) {
      item it;
      std::string title(t);
      if (take_pages(title, it) && !title.empty() && std::isupper(static_cast<unsigned char>(title[0]))) {
        it.title = title;
        it.found = evidence{ls[i].page, ls[i].no, 0.6};
        it.exempt = exempt_part;
        items.push_back(std::move(it));
        item_line.push_back(i);
        desc_open = desc_closed = false;
        continue;
      }
    }
    // After the last item: its notes, up to a banner, a new page or a few paragraphs.
    bool more = next_ahead(i + 1);
    if (!more && desc_closed) ++after_last;
    if (!more && (after_last > 4 || caps_banner(t) || ls[i].strong || (ls[i].page != ls[item_line.back()].page))) break;
    // The purpose line(s): the first paragraph under the item.
    if (!desc_closed) {
      if (!cur.description.empty()) cur.description += " ";
      cur.description += std::string(t);
      desc_open = !ends_sentence(t);
      if (!desc_open) desc_closed = true;
    }
    if (p.meeting.public_deadline.empty()) p.meeting.public_deadline = read_deadline(t);
  }
  end = i;
  // Fewer than two items and no agenda heading: not an agenda.
  if (items.empty() || (items.size() < 2 && !has_heading)) {
    read_front(p, ls, std::min<std::size_t>(ls.size(), 120));
    return 0;
  }
  for (std::size_t k = 0; k < items.size(); ++k) {
    auto& it = items[k];
    if (exempt_words(it.title) || contains_ci(it.description, "exclusion of the press") ||
        contains_ci(it.description, "exempt information"))
      it.exempt = true;
    if (!it.pages.empty() || !it.note.empty()) it.found.confidence = std::min(0.99, it.found.confidence + 0.05);
    if (it.title.empty()) it.found.confidence = 0.3;
  }
  p.items = std::move(items);
  read_front(p, ls, has_heading ? heading : first_item_line);
  if (has_heading) p.meeting.found.push_back({"agenda", evidence{ls[heading].page, ls[heading].no, 0.95}});
  return end;
}

namespace {
std::string plain_title(std::string_view t) {
  head h;
  std::string rest = read_head(t, h) && !h.rest.empty() ? h.rest : std::string(t);
  item scratch;
  take_pages(rest, scratch);
  std::string out;
  for (auto& w : words_of(lower(rest))) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}
}  // namespace

std::vector<int> paper_pages(parsed& p, const source& s) {
  std::map<std::string, int> by_label;
  bool labels_differ = false;
  for (std::size_t i = 0; i < s.pages.size(); ++i) {
    const auto& l = s.pages[i].label;
    if (l.empty()) continue;
    by_label.emplace(l, static_cast<int>(i) + 1);
    if (l != std::to_string(i + 1)) labels_differ = true;
  }
  int top = 1 << 20;
  for (auto& e : s.outline) top = std::min(top, e.level);
  // No agenda in the text: the outline's top-level entries are the items.
  if (p.items.empty()) {
    std::vector<const outline_entry*> es;
    for (auto& e : s.outline)
      if (e.level == top && e.page > 0) {
        std::string l = lower(trim(e.title));
        if (l == "agenda" || l == "front sheet" || l == "contents" || l == "cover") continue;
        es.push_back(&e);
      }
    if (es.size() >= 2) {
      for (std::size_t k = 0; k < es.size(); ++k) {
        item it;
        head h;
        std::string t(trim(es[k]->title));
        if (read_head(t, h) && !h.rest.empty()) {
          it.number = h.number.empty() ? h.minute : h.number;
          it.minute = h.minute;
          t = h.rest;
        }
        take_pages(t, it);
        it.title = t;
        int last = k + 1 < es.size() ? std::max(es[k]->page, es[k + 1]->page - 1) : static_cast<int>(s.pages.size());
        it.first_page = es[k]->page;
        it.last_page = last;
        it.pages = range_text(it.first_page, it.last_page);
        it.found = evidence{es[k]->page, 0, 0.7};
        if (exempt_words(it.title)) it.exempt = true;
        p.items.push_back(std::move(it));
      }
      p.outline_used = true;
    }
  }
  std::vector<int> out(p.items.size(), 0);
  std::size_t next = 0;
  for (std::size_t k = 0; k < p.items.size(); ++k) {
    auto& it = p.items[k];
    std::string want = plain_title(it.title);
    for (std::size_t e = next; e < s.outline.size() && !want.empty() && want.size() >= 4; ++e) {
      if (s.outline[e].page <= 0) continue;
      std::string have = plain_title(s.outline[e].title);
      if (have.empty() || (have.find(want) == std::string::npos && (have.size() < 6 || want.find(have) != 0))) continue;
      out[k] = s.outline[e].page;
      p.outline_used = true;
      next = e + 1;
      break;
    }
    if (out[k] > 0 || it.first_page <= 0) continue;
    if (!by_label.empty()) {
      auto f = by_label.find(std::to_string(it.first_page));
      if (f != by_label.end()) {
        out[k] = f->second;
        if (labels_differ) p.page_labels_used = true;
      }
    } else if (s.paged && it.first_page <= static_cast<int>(s.pages.size())) {
      out[k] = it.first_page;
    }
  }
  // Items the outline places but the agenda prints no pages for: the outline's pages.
  for (std::size_t k = 0; k < p.items.size(); ++k) {
    auto& it = p.items[k];
    if (out[k] <= 0 || !it.pages.empty() || !it.note.empty()) continue;
    int last = static_cast<int>(s.pages.size());
    for (std::size_t j = k + 1; j < p.items.size(); ++j)
      if (out[j] > 0) {
        last = std::max(out[k], out[j] - 1);
        break;
      }
    it.first_page = out[k], it.last_page = last, it.pages = range_text(out[k], last);
  }
  return out;
}

}  // namespace packline::pack::detail
