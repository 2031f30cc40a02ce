// Pack import: the forward plan's table rows, and the priorities of the plan
// the panel scrutinises.
#include "packline/panel/pack_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "packline/crypto/crypto.hpp"
#include "panel/pack_text.hpp"

namespace packline::pack::detail {

// ---- forward plan ---------------------------------------------------------

std::vector<std::string> cells(std::string_view row) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    auto t = row.find('\t', from);
    out.emplace_back(trim(row.substr(from, t == std::string_view::npos ? std::string_view::npos : t - from)));
    if (t == std::string_view::npos) break;
    from = t + 1;
  }
  return out;
}

// HTML fragments some converters leave in table cells: tags out, bullets on lines.
std::string strip_html(std::string_view s) {
  std::string out;
  bool tag = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '<') { tag = true; continue; }
    if (c == '>') { tag = false; out += ' '; continue; }
    if (!tag) out += c;
  }
  std::string t = normalise(out);
  std::string b = "\xe2\x80\xa2";
  for (std::size_t p = t.find(b); p != std::string::npos; p = t.find(b, p + 3)) {
    if (p > 0 && t[p - 1] == ' ') t[p - 1] = '\n';
  }
  return std::string(trim(t));
}

int open_parens(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '(' ? 1 : c == ')' ? -1 : 0;
  return n;
}

void parse_forward_plan(parsed& p) {
  bool in_table = false, after_header = false;
  std::string label, date;
  for (auto& b : p.blocks) {
    if (b.kind != "table_row") continue;
    auto c = cells(b.text);
    if (c.size() >= 5 && starts_with_ci(c[0], "agenda item") && contains_ci(b.text, "approach")) {
      in_table = after_header = true;
      continue;
    }
    if (!in_table) continue;
    bool only_first = !c.empty() && !c[0].empty() &&
                      std::all_of(c.begin() + 1, c.end(), [](const std::string& x) { return x.empty(); });
    auto first_word = words_of(c.empty() ? std::string_view{} : std::string_view(c[0]));
    bool label_row = only_first && (!parse_date(c[0]).empty() || lower(c[0]) == "tbc" ||
                                    (!first_word.empty() && month_of(first_word[0]) && first_word.size() <= 4));
    while (c.size() < 6) c.emplace_back();
    // A row cut by a page break continues after the repeated header.
    bool continuation = after_header && !p.forward_plan.empty() && !label_row &&
                        (c[0].empty() || std::islower(static_cast<unsigned char>(c[0][0])) || only_first ||
                         open_parens(p.forward_plan.back().title) > 0);
    after_header = false;
    if (label_row) {
      label = c[0];
      date = parse_date(c[0]);
      if (date.empty()) {  // "January 2022 - Informal"
        if (first_word.size() >= 2 && month_of(first_word[0]) && all_digits(first_word[1]) && first_word[1].size() == 4)
          date = first_word[1] + "-" + two(month_of(first_word[0]));
      }
      continue;
    }
    if (continuation) {
      auto& r = p.forward_plan.back();
      auto add = [](std::string& to, const std::string& more) {
        if (more.empty()) return;
        if (!to.empty()) to += ' ';
        to += more;
      };
      add(r.title, strip_html(c[0]));
      add(r.notes, strip_html(c[1]));
      add(r.raised_by, c[2]);
      add(r.lead, c[3]);
      add(r.kloes, strip_html(c[4]));
      add(r.approach, c[5]);
      continue;
    }
    if (c[0].empty()) continue;
    forward_row r;
    r.meeting_label = label;
    r.meeting_date = date;
    r.title = strip_html(c[0]);
    r.notes = strip_html(c[1]);
    r.raised_by = c[2];
    r.lead = c[3];
    r.kloes = strip_html(c[4]);
    r.approach = c[5];
    if (starts_with_ci(r.approach, "agend")) r.approach = "Agenda";
    p.forward_plan.push_back(std::move(r));
  }
}

// ---- plan priorities ------------------------------------------------------

// "one " .. "ten " at the start of s: its value, and `d` set past it.
int number_in_words(std::string_view s, std::size_t& d) {
  static constexpr std::array<std::string_view, 10> w = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
  for (std::size_t i = 0; i < w.size(); ++i)
    if (starts_with_ci(s, w[i]) && (s.size() == w[i].size() || !is_alpha(s[w[i].size()]))) {
      d = w[i].size();
      return static_cast<int>(i) + 1;
    }
  return 0;
}

std::string title_case(std::string_view s) {
  static const std::array<std::string_view, 10> small = {"and", "of", "the", "for", "at", "to", "in", "on", "with", "our"};
  std::string out;
  bool first = true;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    std::string l = lower(word);
    if (!first && std::find(small.begin(), small.end(), l) != small.end()) out += l;
    else {
      l[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(l[0])));
      out += l;
    }
    first = false;
    word.clear();
  };
  for (char c : s) {
    if (c == ' ') {
      flush();
      out += ' ';
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

// Priorities come only from a plan (a document whose item or title names a
// plan) or from explicit "Priority 1: ..." headings.
bool in_plan(const parsed& p, const block& b) {
  if (b.item >= 0 && static_cast<std::size_t>(b.item) < p.items.size()) {
    const auto& it = p.items[static_cast<std::size_t>(b.item)];
    return contains_ci(it.title, "plan") || contains_ci(it.document, "plan");
  }
  return false;
}

void parse_priorities(parsed& p) {
  auto& bs = p.blocks;
  // "Priority 1: Protecting people", "PRIORITY 2 – Working together".
  for (const auto& b : bs) {
    if (b.kind != "heading" && !(b.kind == "paragraph" && b.text.size() < 90)) continue;
    std::string_view t = trim(b.text);
    if (!starts_with_ci(t, "priority ")) continue;
    std::string rest = plain_dashes(t.substr(9));
    std::size_t d = 0;
    while (d < rest.size() && is_digit(rest[d])) ++d;
    int n = d && d <= 2 ? std::stoi(rest.substr(0, d)) : number_in_words(rest, d);
    if (n <= 0 || d >= rest.size() || (rest[d] != ':' && rest[d] != ' ' && rest[d] != '-' && rest[d] != '.')) continue;
    std::string title(trim(rest.substr(d)));
    while (!title.empty() && (title[0] == ':' || title[0] == '-' || title[0] == '.' || title[0] == ' ')) title.erase(0, 1);
    if (title.empty() || title.size() > 80 || title.back() == '.') continue;
    if (std::any_of(p.priorities.begin(), p.priorities.end(), [&](const priority& x) { return x.number == n; })) continue;
    p.priorities.push_back({n, upper_ratio(title) > 0.9 ? title_case(title) : title});
  }
  if (!p.priorities.empty()) return;
  // "...has identified six priorities. These priorities ... are:" then bullets.
  for (std::size_t i = 0; i < bs.size() && p.priorities.empty(); ++i) {
    std::string_view t = trim(bs[i].text);
    if (!contains_ci(t, "priorities") || t.empty() || t.back() != ':' || !(in_plan(p, bs[i]) || p.kind == "report")) continue;
    for (std::size_t j = i + 1; j < bs.size(); ++j) {
      if (bs[j].kind == "paragraph") continue;
      if (bs[j].kind != "list_item") break;
      std::string_view li = trim(bs[j].text);  // the bullet is already off
      if (li.empty() || std::isdigit(static_cast<unsigned char>(li[0])) || li.size() > 60 || li.back() == '.') break;
      p.priorities.push_back({static_cast<int>(p.priorities.size()) + 1, std::string(li)});
    }
  }
  if (!p.priorities.empty()) return;
  // Monitoring report pages: the pillar's name in capitals after "This Period / Last Period".
  for (std::size_t i = 0; i < bs.size(); ++i) {
    if (!(bs[i].kind == "table_row" && contains_ci(bs[i].text, "this period") && contains_ci(bs[i].text, "last period")) ||
        !in_plan(p, bs[i]))
      continue;
    std::size_t j = i + 1;
    std::string name;
    while (j < bs.size() && bs[j].kind == "heading" && upper_ratio(bs[j].text) > 0.95 && !is_banner(bs[j].text)) {
      if (!name.empty()) name += ' ';
      name += normalise(bs[j].text);
      ++j;
    }
    if (name.size() < 8 || name.size() > 80 ||
        std::any_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      continue;
    std::string t = title_case(name);
    bool dup = false;
    for (auto& x : p.priorities) dup = dup || x.title == t;
    if (!dup) p.priorities.push_back({static_cast<int>(p.priorities.size()) + 1, t});
  }
}

}  // namespace packline::pack::detail
