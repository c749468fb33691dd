#include "ops/ojctl/roster_csv.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <unordered_map>

namespace oj {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ValidStudentNo(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Well-formed UTF-8 (no overlongs, no surrogates) without C0/C1 control characters.
bool ValidName(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : 0;
    if (n == 0 || c > 0xf4 || i + n >= s.size()) return false;
    uint32_t cp = c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

CsvSplit SplitCsv(std::string_view text, size_t max_errors) {
  CsvSplit out;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t line = 1;
  size_t i = 0;
  while (i < text.size() && out.errors.size() < max_errors) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool bad = false;
    bool end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < text.size() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field.push_back('"');
              ++i;
            } else {
              closed = true;
              break;
            }
          } else {
            if (c == '\n') ++line;
            field.push_back(c);
          }
        }
        if (!closed) {
          out.errors.push_back({rec.line, "quoted field is never closed"});
          return out;
        }
        // Only a separator, a line end or spaces may follow a closing quote.
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          bad = true;
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') bad = true;
          field.push_back(text[i++]);
        }
        field = Trim(field);
      }
      // Skip to the separator or end of line (past any junk after a bad quote).
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') ++i;
      rec.fields.push_back(field);
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') ++i;
      ++line;
      end_of_record = true;
    }
    if (bad) {
      out.errors.push_back({rec.line,
                            "stray '\"' inside a field (quote the whole field and "
                            "double inner quotes)"});
      continue;
    }
    bool blank = rec.fields.size() == 1 && rec.fields[0].empty();
    if (!blank) out.records.push_back(std::move(rec));
  }
  return out;
}

RosterParse ParseRoster(std::string_view text, const RosterLimits& limits) {
  RosterParse out;
  if (text.size() > limits.max_bytes) {
    out.errors.push_back({0, "file is " + std::to_string(text.size()) + " bytes; the limit is " +
                                 std::to_string(limits.max_bytes)});
    return out;
  }
  CsvSplit split = SplitCsv(text, limits.max_errors);
  out.errors = std::move(split.errors);
  if (split.records.empty()) {
    if (out.errors.empty())
      out.errors.push_back({0,
                            "file is empty; expected a header line "
                            "'student_no,name'"});
    return out;
  }
  const CsvRecord& header = split.records.front();
  int no_col = -1, name_col = -1;
  for (size_t c = 0; c < header.fields.size(); ++c) {
    std::string h = Lower(Trim(header.fields[c]));
    if (h == "student_no" && no_col < 0) no_col = static_cast<int>(c);
    if (h == "name" && name_col < 0) name_col = static_cast<int>(c);
  }
  if (no_col < 0 || name_col < 0) {
    out.errors.insert(out.errors.begin(), {header.line,
                                           "header must name the columns student_no and name "
                                           "(e.g. 'student_no,name')"});
    return out;
  }
  size_t need = static_cast<size_t>(std::max(no_col, name_col)) + 1;
  std::unordered_map<std::string, size_t> seen;  // student_no -> line
  for (size_t r = 1; r < split.records.size(); ++r) {
    if (out.errors.size() >= limits.max_errors) break;
    const CsvRecord& rec = split.records[r];
    auto err = [&](std::string m) { out.errors.push_back({rec.line, std::move(m)}); };
    if (out.entries.size() >= limits.max_rows) {
      err("more than " + std::to_string(limits.max_rows) + " students");
      break;
    }
    if (rec.fields.size() < need) {
      err("expected at least " + std::to_string(need) + " fields, found " +
          std::to_string(rec.fields.size()));
      continue;
    }
    std::string no = Trim(rec.fields[no_col]);
    std::string name = Trim(rec.fields[name_col]);
    if (no.empty()) {
      err("student_no is empty");
      continue;
    }
    if (no.size() > limits.max_student_no || !ValidStudentNo(no)) {
      err("student_no '" + no.substr(0, 70) + "' must be 1-" +
          std::to_string(limits.max_student_no) + " of [A-Za-z0-9_.-]");
      continue;
    }
    if (name.size() > limits.max_name) {
      err("name is longer than " + std::to_string(limits.max_name) + " bytes");
      continue;
    }
    if (!ValidName(name)) {
      err("name is not valid UTF-8 or contains control characters");
      continue;
    }
    auto [it, inserted] = seen.emplace(no, rec.line);
    if (!inserted) {
      err("duplicate student_no '" + no + "' (first on line " + std::to_string(it->second) + ")");
      continue;
    }
    out.entries.push_back({std::move(no), std::move(name), rec.line});
  }
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const RosterError& a, const RosterError& b) { return a.line < b.line; });
  return out;
}

std::string CsvField(std::string_view s) {
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q.push_back('"');
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

}  // namespace oj
