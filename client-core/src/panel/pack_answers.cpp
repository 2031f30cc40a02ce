// Pack import: answers the documents record, from minutes paragraphs on a
// question and from questions-and-answers appendices.
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

// ---- answers in minutes and question-and-answer appendices -----------------

// Takes a recording time out of `t`: "(01:20:24 on recording)", "(00.35.11
// on the recording)", "(20:25 on recording)" (minutes and seconds),
// "(01:52.00 ...)", "(1:20:24)". Returns "HH:MM:SS" or "".
std::string take_recording_time(std::string& t) {
  for (auto open = t.find('('); open != std::string::npos; open = t.find('(', open + 1)) {
    auto close = t.find(')', open);
    if (close == std::string::npos) break;
    std::string_view in = trim(std::string_view(t).substr(open + 1, close - open - 1));
    std::vector<int> parts;
    std::size_t i = 0;
    while (i < in.size() && parts.size() < 4) {
      std::size_t d = 0;
      while (i + d < in.size() && is_digit(in[i + d])) ++d;
      if (d == 0 || d > 2) break;
      parts.push_back(std::stoi(std::string(in.substr(i, d))));
      i += d;
      if (i < in.size() && (in[i] == ':' || in[i] == '.') && i + 1 < in.size() && is_digit(in[i + 1])) ++i;
      else break;
    }
    std::string_view after = trim(in.substr(i));
    bool cited = after.empty() || contains_ci(after, "recording") || contains_ci(after, "webcast") || contains_ci(after, "video");
    if (parts.size() < 2 || parts.size() > 3 || !cited) continue;
    // Two parts: minutes and seconds unless "on recording" follows "hh.mm" of a clock (never: seconds < 60 both ways).
    int h = parts.size() == 3 ? parts[0] : 0, m = parts[parts.size() - 2], sec = parts.back();
    if (m > 59 || sec > 59) continue;
    if (parts.size() == 2 && !contains_ci(after, "recording") && !contains_ci(after, "webcast")) continue;
    std::string time = two(h) + ":" + two(m) + ":" + two(sec);
    std::size_t from = open;
    while (from > 0 && t[from - 1] == ' ') --from;
    t.erase(from, close + 1 - from);
    return time;
  }
  return {};
}

// "Question 3", "Q3.", "Question 3: What ..." → number "3" and what follows.
bool question_head(std::string_view t, std::string& number, std::string& rest) {
  std::size_t at = starts_with_ci(t, "question ") ? 9 : (t.size() > 1 && (t[0] == 'Q' || t[0] == 'q')) ? 1 : 0;
  if (at == 0) return false;
  std::size_t d = at;
  while (d < t.size() && std::isdigit(static_cast<unsigned char>(t[d]))) ++d;
  if (d == at || d - at > 3 || (d < t.size() && std::isalpha(static_cast<unsigned char>(t[d])))) return false;
  number = std::string(t.substr(at, d - at));
  rest = std::string(t.substr(d));
  return true;
}

// "Response", "Answer", "Written response: ..." → what follows the label.
bool answer_label(std::string_view t, bool& written, std::string& rest) {
  written = starts_with_ci(t, "written ");
  std::string_view w = written ? trim(t.substr(8)) : t;
  for (std::string_view label : {"response", "answer"}) {
    if (!starts_with_ci(w, label) || (w.size() > label.size() && std::isalpha(static_cast<unsigned char>(w[label.size()]))))
      continue;
    rest = std::string(w.substr(label.size()));
    return true;
  }
  return false;
}

// Leading ".", ":", dashes and spaces of what follows a label.
std::string after_label(std::string s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == ':' || s[i] == '.' || s[i] == '-' || s[i] == ')') ++i;
    else if (s.compare(i, 3, "\xe2\x80\x93") == 0) i += 3;  // en dash
    else break;
  }
  return s.substr(i);
}

void add_text(std::string& to, std::string_view t) {
  if (t.empty()) return;
  if (!to.empty()) to += "\n\n";
  to += t;
}

void parse_answers(parsed& p) {
  int minutes = -1;
  std::string minutes_of;
  for (std::size_t i = 0; i < p.items.size(); ++i)
    if (contains_ci(p.items[i].title, "minutes")) {
      minutes = static_cast<int>(i);
      minutes_of = parse_date(p.items[i].description);
      if (minutes_of.empty()) minutes_of = parse_date(p.items[i].title);
      for (std::size_t b = 0, seen = 0; minutes_of.empty() && b < p.blocks.size() && seen < 6; ++b)
        if (p.blocks[b].item == static_cast<int>(i)) {
          ++seen;
          if (contains_ci(p.blocks[b].text, "minutes") || contains_ci(p.blocks[b].text, "held on")) minutes_of = parse_date(p.blocks[b].text);
        }
      break;
    }
  int qa_item = -2;  // the item whose questions-and-answers section is being read (-2: none)
  answer* cur = nullptr;  // the appendix entry being read (always the last answer)
  bool in_answer = false;
  for (const auto& b : p.blocks) {
    if (b.kind == "page_marker") continue;
    std::string t(trim(b.text));
    if (b.item != qa_item) {
      qa_item = -2;
      cur = nullptr;
    }
    if (t.size() < 120 && (contains_ci(t, "questions and answers") || contains_ci(t, "question and answer") ||
                           starts_with_ci(t, "q&a"))) {
      qa_item = b.item;
      cur = nullptr;
      continue;
    }
    std::string date = b.item == minutes ? minutes_of : std::string{};
    std::string number, rest;
    bool written = false;
    if (qa_item != -2) {
      if (question_head(t, number, rest)) {
        answer a;
        a.meeting_date = date;
        a.number = number;
        a.question = after_label(rest);
        p.answers.push_back(std::move(a));
        cur = &p.answers.back();
        in_answer = false;
      } else if (!cur) {
        continue;
      } else if (starts_with_ci(t, "question lead")) {
        cur->lead = after_label(t.substr(13));
      } else if (answer_label(t, written, rest)) {
        cur->written = written;
        cur->recording_time = take_recording_time(rest);
        add_text(cur->text, after_label(rest));
        in_answer = true;
      } else if (starts_with_ci(t, "duration of meeting")) {
        qa_item = -2;  // the minutes' closing lines end the appendix
        cur = nullptr;
      } else if (b.kind == "heading" || (t.size() < 60 && contains_ci(t, "questions") && t.back() != '.' && t.back() != '?')) {
        cur = nullptr;  // a section heading ("Finance questions") ends the entry
      } else {
        std::string time = take_recording_time(t);
        if (in_answer && cur->recording_time.empty()) cur->recording_time = time;
        add_text(in_answer ? cur->text : cur->question, t);
      }
      continue;
    }
    // A minutes paragraph that records an answer.
    if (b.item != minutes || (b.kind != "paragraph" && b.kind != "list_item")) continue;
    std::string time = take_recording_time(t);
    bool on_question = contains_ci(t, "question") || contains_ci(t, "asked");
    // An answer needs its meeting and the time it was given on the recording.
    if (!on_question || time.empty() || date.empty()) continue;
    answer a;
    a.meeting_date = date;
    if (question_head(t, number, rest)) a.number = number;
    a.text = t;
    a.recording_time = time;
    p.answers.push_back(std::move(a));
  }
  // An appendix entry with neither a recording time nor a written response records no answer.
  std::erase_if(p.answers, [](const answer& a) { return a.recording_time.empty() && !a.written; });
}

}  // namespace packline::pack::detail
