#include "ops/watchdog/alert.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace oj::watchdog {
namespace {

Alert Sample() {
  return Alert{"health_probe",
               "firing",
               "/healthz answered 503: \"db\" down\n",
               "503",
               "200",
               "judge1",
               "2024-10-01T12:00:00+08:00"};
}

TEST(AlertTextTest, OneLineWithValue) {
  EXPECT_EQ(AlertText(Alert{"disk_storage", "resolved", "92% free", "92", "10", "h", "t"}),
            "[oj RESOLVED] disk_storage on h: 92% free (value 92, threshold 10)");
  EXPECT_EQ(AlertText(Alert{"fcgi", "firing", "master gone", "", "", "h", "t"}),
            "[oj FIRING] fcgi on h: master gone");
}

TEST(RenderTemplateTest, EveryPlaceholderJsonEscaped) {
  auto r = RenderTemplate(
      R"({"c":"{{check}}","s":"{{state}}","d":"{{detail}}","v":"{{value}}","t":"{{threshold}}",)"
      R"("h":"{{host}}","at":"{{time}}","m":"{{message}}"})",
      Sample());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto j = nlohmann::json::parse(*r);
  EXPECT_EQ(j["c"], "health_probe");
  EXPECT_EQ(j["s"], "firing");
  EXPECT_EQ(j["d"], "/healthz answered 503: \"db\" down\n");
  EXPECT_EQ(j["v"], "503");
  EXPECT_EQ(j["t"], "200");
  EXPECT_EQ(j["h"], "judge1");
  EXPECT_EQ(j["at"], "2024-10-01T12:00:00+08:00");
  EXPECT_EQ(j["m"], AlertText(Sample()));
}

TEST(RenderTemplateTest, TheDocumentedBotTemplatesAreValid) {
  const char* templates[] = {
      R"({"text": "{{message}}"})",                                   // default, Slack
      R"({"msgtype": "text", "text": {"content": "{{message}}"}})",   // WeCom, DingTalk
      R"({"msg_type": "text", "content": {"text": "{{message}}"}})",  // Feishu
      R"({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{state}}* `{{check}}` {{detail}}"}}]})",
  };
  for (const char* t : templates) EXPECT_TRUE(ValidateTemplate(t).ok()) << t;
}

TEST(RenderTemplateTest, RefusesBadTemplates) {
  EXPECT_FALSE(RenderTemplate("{\"a\": \"{{nope}}\"}", Sample()).ok());
  EXPECT_FALSE(RenderTemplate("{\"a\": \"{{message\"}", Sample()).ok());
  EXPECT_FALSE(ValidateTemplate("{\"a\": {{message}}}").ok());  // unquoted: not JSON
  EXPECT_FALSE(ValidateTemplate("not json").ok());
}

TEST(JsonEscapeTest, ControlCharacters) {
  EXPECT_EQ(JsonEscape(std::string("a\x01"
                                   "b\t\\",
                                   5)),
            "a\\u0001b\\t\\\\");
  EXPECT_EQ(JsonEscape("中文 ✓"), "中文 ✓");
}

}  // namespace
}  // namespace oj::watchdog
