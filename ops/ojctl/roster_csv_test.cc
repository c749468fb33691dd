#include "ops/ojctl/roster_csv.h"

#include <gtest/gtest.h>

namespace oj {
namespace {

struct GoodCase {
  const char* what;
  const char* text;
  std::vector<std::pair<std::string, std::string>> want;
};

TEST(CsvTest, GoodRostersParse) {
  const GoodCase cases[] = {
      {"plain", "student_no,name\n1,Ann\n2,Bob\n", {{"1", "Ann"}, {"2", "Bob"}}},
      {"crlf", "student_no,name\r\n1,Ann\r\n2,Bob\r\n", {{"1", "Ann"}, {"2", "Bob"}}},
      {"no final newline", "student_no,name\n1,Ann", {{"1", "Ann"}}},
      {"bom", "\xEF\xBB\xBFstudent_no,name\n1,Ann\n", {{"1", "Ann"}}},
      {"header case and spaces", " Student_No , NAME \n1,Ann\n", {{"1", "Ann"}}},
      {"columns swapped", "name,student_no\nAnn,1\n", {{"1", "Ann"}}},
      {"extra columns ignored", "student_no,name,email\n1,Ann,a@x\n", {{"1", "Ann"}}},
      {"blank lines skipped",
       "student_no,name\n\n1,Ann\n\r\n2,Bob\n\n",
       {{"1", "Ann"}, {"2", "Bob"}}},
      {"quoted comma", "student_no,name\n1,\"Lee, Ann\"\n", {{"1", "Lee, Ann"}}},
      {"doubled quote", "student_no,name\n1,\"Ann \"\"A\"\" Lee\"\n", {{"1", "Ann \"A\" Lee"}}},
      {"spaces trimmed", "student_no,name\n  1 ,  Ann Lee  \n", {{"1", "Ann Lee"}}},
      {"utf-8 name", "student_no,name\n2024001,张三\n", {{"2024001", "张三"}}},
      {"empty name allowed", "student_no,name\n1,\n", {{"1", ""}}},
      {"header only", "student_no,name\n", {}},
      {"punctuation in number", "student_no,name\nA-1_2.3,X\n", {{"A-1_2.3", "X"}}},
  };
  for (const auto& c : cases) {
    RosterParse p = ParseRoster(c.text);
    ASSERT_TRUE(p.ok()) << c.what << ": " << p.errors[0].line << ": " << p.errors[0].message;
    ASSERT_EQ(p.entries.size(), c.want.size()) << c.what;
    for (size_t i = 0; i < c.want.size(); ++i) {
      EXPECT_EQ(p.entries[i].student_no, c.want[i].first) << c.what;
      EXPECT_EQ(p.entries[i].name, c.want[i].second) << c.what;
    }
  }
}

struct BadCase {
  const char* what;
  const char* text;
  size_t line;         // of the first error
  const char* needle;  // in its message
};

TEST(CsvTest, BadRostersReportTheLine) {
  const BadCase cases[] = {
      {"empty file", "", 0, "empty"},
      {"no header", "1,Ann\n2,Bob\n", 1, "header"},
      {"missing field", "student_no,name\n1,Ann\n2\n", 3, "fields"},
      {"empty number", "student_no,name\n,Ann\n", 2, "empty"},
      {"space in number", "student_no,name\n1 2,Ann\n", 2, "student_no"},
      {"long number",
       "student_no,name\n12345678901234567890123456789012345678901234567890123456789012345,A\n", 2,
       "student_no"},
      {"duplicate", "student_no,name\n1,Ann\n2,Bob\n1,Ann again\n", 4, "first on line 2"},
      {"unterminated quote", "student_no,name\n1,\"Ann\n2,Bob\n", 2, "never closed"},
      {"stray quote", "student_no,name\n1,An\"n\n", 2, "stray"},
      {"junk after quote", "student_no,name\n1,\"Ann\"x\n", 2, "stray"},
      {"control char", "student_no,name\n1,A\x01nn\n", 2, "control"},
      {"bad utf-8", "student_no,name\n1,\xff\xfe\n", 2, "UTF-8"},
      {"truncated utf-8", "student_no,name\n1,\xe5\xbc\n", 2, "UTF-8"},
      {"overlong utf-8", "student_no,name\n1,\xc0\xaf\n", 2, "UTF-8"},
  };
  for (const auto& c : cases) {
    RosterParse p = ParseRoster(c.text);
    ASSERT_FALSE(p.ok()) << c.what;
    EXPECT_EQ(p.errors[0].line, c.line) << c.what << ": " << p.errors[0].message;
    EXPECT_NE(p.errors[0].message.find(c.needle), std::string::npos)
        << c.what << ": " << p.errors[0].message;
  }
}

TEST(CsvTest, QuotedNewlineKeepsLineNumbersRight) {
  RosterParse p = ParseRoster("student_no,name\n1,\"two\nlines\"\n2,Bob\n3\n");
  ASSERT_FALSE(p.ok());
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].line, 2u);  // a name may not contain a line break
  EXPECT_EQ(p.errors[1].line, 5u);  // the record after it is still counted right
}

TEST(CsvTest, EveryBadRowIsReported) {
  RosterParse p = ParseRoster("student_no,name\n,a\n2,b\n,c\n2,d\n");
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_EQ(p.errors[0].line, 2u);
  EXPECT_EQ(p.errors[1].line, 4u);
  EXPECT_EQ(p.errors[2].line, 5u);
}

TEST(CsvTest, LimitsAreEnforced) {
  RosterLimits l;
  l.max_rows = 2;
  EXPECT_FALSE(ParseRoster("student_no,name\n1,a\n2,b\n3,c\n", l).ok());
  l = {};
  l.max_bytes = 10;
  EXPECT_FALSE(ParseRoster("student_no,name\n1,a\n", l).ok());
  l = {};
  l.max_errors = 2;
  EXPECT_EQ(ParseRoster("student_no,name\n,a\n,b\n,c\n,d\n", l).errors.size(), 2u);
}

TEST(CsvTest, FieldsAreQuotedForOutput) {
  EXPECT_EQ(CsvField("Ann"), "Ann");
  EXPECT_EQ(CsvField("Lee, Ann"), "\"Lee, Ann\"");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(CsvField("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvTest, OutputRoundTrips) {
  std::string text = "student_no,name\n1," + CsvField("Lee, \"Ann\"") + "\n";
  RosterParse p = ParseRoster(text);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.entries[0].name, "Lee, \"Ann\"");
}

}  // namespace
}  // namespace oj
