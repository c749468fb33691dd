// Roster CSV: what staff export from the registrar ("student_no,name" with a header
// line), parsed by a pure function so every malformed case has a table test
// (roster_csv_test.cc). RFC 4180 quoting ("a, b", "say ""hi"""), CRLF or LF, an
// optional UTF-8 byte order mark, blank lines skipped, extra columns ignored.
// Either the whole file is good or nothing is imported: every bad row is reported
// with its 1-based line number.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace oj {

struct RosterEntry {
  std::string student_no;
  std::string name;
  size_t line = 0;  // where it came from, for messages
};

struct RosterError {
  size_t line = 0;  // 1-based; 0 for whole-file problems
  std::string message;
};

struct RosterLimits {
  size_t max_bytes = 16u << 20;  // the whole file
  size_t max_rows = 100000;      // students
  size_t max_student_no = 64;    // bytes, as students.student_no
  size_t max_name = 200;         // bytes, as students.name
  size_t max_errors = 50;        // reported; parsing stops after this many
};

struct RosterParse {
  std::vector<RosterEntry> entries;
  std::vector<RosterError> errors;
  bool ok() const { return errors.empty(); }
};

// One CSV record split into fields. Pure; used by ParseRoster and its tests.
struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // line on which the record starts
};
struct CsvSplit {
  std::vector<CsvRecord> records;
  std::vector<RosterError> errors;  // unterminated quote, stray quote
};
CsvSplit SplitCsv(std::string_view text, size_t max_errors = 50);

// Parses a roster: header with columns student_no and name (any order, case and
// surrounding spaces ignored), then one student per line. Student numbers are
// 1-64 of [A-Za-z0-9_.-]; names are valid UTF-8 without control characters; a
// student number appearing twice is an error on the second line.
RosterParse ParseRoster(std::string_view text, const RosterLimits& limits = {});

// Quotes a field for CSV output when it contains a comma, quote, CR or LF. A
// leading =, +, -, @ gets a ' prefix so spreadsheets do not run it as a formula.
std::string CsvField(std::string_view s);

}  // namespace oj
