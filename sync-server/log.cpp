// Structured log lines (see log.hpp). The minimum level is written once at
// start-up and read without a lock afterwards (atomic, relaxed).
#include "log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace packline::server {
namespace {

std::atomic<int> min_level{static_cast<int>(log_level::info)};
std::atomic<int> format{static_cast<int>(log_format::text)};

const char* level_name(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "info";
}

// A JSON string (RFC 8259): quotes, backslashes and control bytes escaped;
// other bytes pass through (the values are UTF-8 or hex).
void append_json_string(std::string& out, std::string_view v) {
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// A text-format value: bare when it is one plain word, else quoted with the
// same escapes as JSON (control bytes escaped keep each entry on one line).
void append_value(std::string& out, std::string_view v, bool always_quote = false) {
  bool quote = always_quote || v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (quote) append_json_string(out, v);
  else out.append(v);
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];  // sized for any int values, not just real dates
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void set_log_level(log_level min) { min_level.store(static_cast<int>(min), std::memory_order_relaxed); }
void set_log_format(log_format f) { format.store(static_cast<int>(f), std::memory_order_relaxed); }

std::string format_log_line(log_level lvl, std::string_view msg,
                            std::initializer_list<log_field> fields, log_format f) {
  std::string line;
  if (f == log_format::json) {
    line.reserve(112 + msg.size());
    line.append("{\"ts\":\"").append(timestamp()).append("\",\"level\":\"").append(level_name(lvl));
    line.append("\",\"msg\":");
    append_json_string(line, msg);
    for (const auto& fld : fields) {
      line.push_back(',');
      append_json_string(line, fld.key);
      line.push_back(':');
      if (fld.bare) line.append(fld.value);
      else append_json_string(line, fld.value);
    }
    line.push_back('}');
    return line;
  }
  line.reserve(96 + msg.size());
  line.append("ts=").append(timestamp());
  line.append(" level=").append(level_name(lvl));
  line.append(" msg=");
  // msg is always quoted so `grep 'msg="listening"'` works for every line.
  append_value(line, msg, true);
  for (const auto& f : fields) {
    line.push_back(' ');
    line.append(f.key);
    line.push_back('=');
    append_value(line, f.value);
  }
  return line;
}

void log(log_level lvl, std::string_view msg, std::initializer_list<log_field> fields) {
  if (static_cast<int>(lvl) < min_level.load(std::memory_order_relaxed)) return;
  std::string line = format_log_line(lvl, msg, fields, static_cast<log_format>(format.load(std::memory_order_relaxed)));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace packline::server
