#include "judge_runner/verdict.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/utf8.h"

namespace oj::runner {
namespace {

std::string Cut(std::string s, size_t max) {
  if (s.size() > max) s.resize(Utf8CutPoint(s, max));
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of a "\uXXXX" escape at text[i] (the backslash), or -1.
int EscapeAt(std::string_view text, size_t i) {
  if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u') return -1;
  int v = 0;
  for (size_t k = 2; k < 6; ++k) {
    int h = HexValue(text[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Judges often echo the student's output into messages, so result.json may carry bytes
// that are not UTF-8 (raw, or as Python's json.dump writes surrogate-escaped bytes: a
// lone "\udcff"). nlohmann's parser refuses both; replacing them with U+FFFD first keeps
// the report. Raw invalid bytes are only legal inside strings anyway, so outside them
// the text still fails to parse as it would have.
std::string ReplaceInvalidText(std::string_view raw) {
  const std::string text = ToValidUtf8(raw);
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"') in_string = !in_string;
    if (!in_string || c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    const int unit = EscapeAt(text, i);
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const int low = EscapeAt(text, i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        out.append(text, i, 12);
        i += 12;
      } else {
        out.append("\\ufffd");
        i += 6;
      }
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      out.append("\\ufffd");
      i += 6;
    } else {
      const size_t n = std::min<size_t>(2, text.size() - i);  // any other escape, \" too
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

Decision Internal(std::string reason) {
  Decision v;
  v.judge_error = true;
  v.reason = std::move(reason);
  return v;
}

Decision Student(Verdict verdict, double score, double max, std::string reason) {
  Decision v;
  v.verdict = std::string(Name(verdict));
  v.score = score;
  v.max_score = max;
  v.reason = std::move(reason);
  return v;
}

std::string Describe(const StageOutcome& s) {
  if (s.term_signal != 0) return "killed by signal " + std::to_string(s.term_signal);
  return "exit code " + std::to_string(s.exit_code);
}

// A test's optional figures: its own score and max_score (0 <= score <= max_score), the
// time and memory the judge measured. Absent or null stays absent; anything else is the
// judge's mistake, said by name.
Status ReadTestFigures(const nlohmann::json& t, TestResult& rt) {
  auto figure = [&](const char* key) -> Result<std::optional<double>> {
    auto it = t.find(key);
    if (it == t.end() || it->is_null()) return std::optional<double>();
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
      return Status::InvalidArgument(std::string("result.json: a test's '") + key +
                                     "' must be a number >= 0");
    }
    return std::optional<double>(it->get<double>());
  };
  auto score = figure("score");
  if (!score.ok()) return score.status();
  auto max_score = figure("max_score");
  if (!max_score.ok()) return max_score.status();
  auto time_ms = figure("time_ms");
  if (!time_ms.ok()) return time_ms.status();
  auto memory_kb = figure("memory_kb");
  if (!memory_kb.ok()) return memory_kb.status();
  if (*score && *max_score && **score > **max_score) {
    return Status::InvalidArgument("result.json: a test's score is above its max_score");
  }
  rt.score = *score;
  rt.max_score = *max_score;
  if (*time_ms) rt.time_ms = static_cast<uint64_t>(**time_ms);
  if (*memory_kb) rt.memory_kb = static_cast<uint64_t>(**memory_kb);
  return Status::Ok();
}

}  // namespace

Result<JudgeReport> ParseResultJson(const std::string& text) {
  if (text.size() > kResultJsonMaxBytes) {
    return Status::InvalidArgument("result.json is larger than 1 MiB");
  }
  nlohmann::json j =
      nlohmann::json::parse(ReplaceInvalidText(text), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("result.json is not a JSON object");
  }
  JudgeReport r;
  auto number = [&](const char* key, double& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number() || !std::isfinite(it->get<double>())) {
      return Status::InvalidArgument(std::string("result.json: '") + key + "' must be a number");
    }
    out = it->get<double>();
    return Status::Ok();
  };
  Status s = number("score", r.score);
  if (s.ok()) s = number("max_score", r.max_score);
  if (!s.ok()) return s;
  if (r.score < 0 || r.max_score < 0 || r.score > r.max_score) {
    return Status::InvalidArgument("result.json: need 0 <= score <= max_score");
  }
  if (auto it = j.find("verdict"); it != j.end() && !it->is_null()) {
    std::optional<Verdict> named;
    if (it->is_string()) named = ParseVerdict(it->get<std::string>());
    if (!named || !JudgeMayName(*named)) {
      return Status::InvalidArgument("result.json: unknown verdict");
    }
    r.verdict = *named;
  }
  if (auto it = j.find("tests"); it != j.end()) {
    if (!it->is_array()) return Status::InvalidArgument("result.json: 'tests' must be an array");
    if (it->size() > kMaxTests) return Status::InvalidArgument("result.json: too many tests");
    for (const auto& t : *it) {
      if (!t.is_object()) return Status::InvalidArgument("result.json: a test is not an object");
      TestResult rt;
      rt.seq = static_cast<uint32_t>(r.tests.size() + 1);
      auto name = t.find("name");
      auto passed = t.find("passed");
      if (name == t.end() || !name->is_string() || passed == t.end() || !passed->is_boolean()) {
        return Status::InvalidArgument("result.json: a test needs 'name' and 'passed'");
      }
      rt.name = Cut(name->get<std::string>(), kTestNameMax);
      rt.passed = passed->get<bool>();
      if (auto m = t.find("message"); m != t.end() && m->is_string()) {
        rt.message = Cut(m->get<std::string>(), kTestMessageMax);
      }
      if (Status o = ReadTestFigures(t, rt); !o.ok()) return o;
      r.tests.push_back(std::move(rt));
    }
  }
  return r;
}

Decision DecideVerdict(const VerdictInput& in) {
  if (in.extract == ExtractStatus::kFailed) return Internal("extraction sandbox failed");
  if (in.build && in.build->sandbox_failed) return Internal("build sandbox failed");
  if (in.test && in.test->sandbox_failed) return Internal("test sandbox failed");
  const double max = in.max_score;
  if (in.extract == ExtractStatus::kRefused)
    return Student(Verdict::kBadArchive, 0, max, "archive refused");
  if (in.extract == ExtractStatus::kLimit) {
    return Student(Verdict::kBadArchive, 0, max, "archive exceeds the extraction limits");
  }
  if (in.build) {
    const StageOutcome& b = *in.build;
    if (b.oom_kills > 0) return Student(Verdict::kCompileError, 0, max, "build ran out of memory");
    if (b.cpu_limit_hit || b.wall_limit_hit) {
      return Student(Verdict::kCompileError, 0, max, "build exceeded its time limit");
    }
    if (b.output_limit_hit) return Student(Verdict::kCompileError, 0, max, "build output too long");
    if (b.term_signal != 0 || b.exit_code != 0) {
      return Student(Verdict::kCompileError, 0, max, "build failed: " + Describe(b));
    }
  }
  if (!in.test) return Internal("test stage did not run");
  const StageOutcome& t = *in.test;
  if (t.oom_kills > 0)
    return Student(Verdict::kMemoryLimit, 0, max, "memory limit: OOM kill in the cgroup");
  if (t.cpu_limit_hit) return Student(Verdict::kTimeLimit, 0, max, "CPU time limit");
  if (t.wall_limit_hit) return Student(Verdict::kTimeLimit, 0, max, "wall-clock limit");
  if (t.output_limit_hit) return Student(Verdict::kOutputLimit, 0, max, "output limit");
  if (!in.report) {
    return Internal("judge script wrote no valid result.json (" + Describe(t) + ")");
  }
  const JudgeReport& r = *in.report;
  // The judge's max_score must agree with judge.toml's: scale if it uses other units.
  double score = r.max_score > 0 ? r.score / r.max_score * max : 0;
  if (r.max_score > 0 && r.score >= r.max_score)
    return Student(Verdict::kAccepted, max, max, "all passed");
  if (r.verdict) {
    return Student(*r.verdict, score, max, "judge: " + std::string(Name(*r.verdict)));
  }
  if (score > 0) return Student(Verdict::kPartial, score, max, "partial score");
  return Student(Verdict::kWrongAnswer, 0, max, "no test passed");
}

}  // namespace oj::runner
