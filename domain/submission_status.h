#pragma once
// A submission's status and, once judged, its verdict (docs/contract.md §4): one enum
// each, and one name table each, which is where the database's and the JSON's words for
// them are written. Nothing else spells them.

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace oj {

enum class SubmissionStatus { kQueued, kRunning, kDone, kSuperseded, kCancelled, kJudgeError };

inline constexpr std::array<std::pair<SubmissionStatus, std::string_view>, 6>
    kSubmissionStatusNames = {{
        {SubmissionStatus::kQueued, "queued"},
        {SubmissionStatus::kRunning, "running"},
        {SubmissionStatus::kDone, "done"},
        {SubmissionStatus::kSuperseded, "superseded"},
        {SubmissionStatus::kCancelled, "cancelled"},
        {SubmissionStatus::kJudgeError, "judge_error"},
    }};

enum class Verdict {
  kAccepted,
  kPartial,
  kWrongAnswer,
  kCompileError,
  kTimeLimit,
  kMemoryLimit,
  kOutputLimit,
  kRuntimeError,
  kBadArchive,
};

inline constexpr std::array<std::pair<Verdict, std::string_view>, 9> kVerdictNames = {{
    {Verdict::kAccepted, "accepted"},
    {Verdict::kPartial, "partial"},
    {Verdict::kWrongAnswer, "wrong_answer"},
    {Verdict::kCompileError, "compile_error"},
    {Verdict::kTimeLimit, "time_limit"},
    {Verdict::kMemoryLimit, "memory_limit"},
    {Verdict::kOutputLimit, "output_limit"},
    {Verdict::kRuntimeError, "runtime_error"},
    {Verdict::kBadArchive, "bad_archive"},
}};

constexpr std::string_view Name(SubmissionStatus s) {
  for (const auto& [value, name] : kSubmissionStatusNames) {
    if (value == s) return name;
  }
  return "";
}

constexpr std::string_view Name(Verdict v) {
  for (const auto& [value, name] : kVerdictNames) {
    if (value == v) return name;
  }
  return "";
}

constexpr std::optional<SubmissionStatus> ParseSubmissionStatus(std::string_view name) {
  for (const auto& [value, n] : kSubmissionStatusNames) {
    if (n == name) return value;
  }
  return std::nullopt;
}

constexpr std::optional<Verdict> ParseVerdict(std::string_view name) {
  for (const auto& [value, n] : kVerdictNames) {
    if (n == name) return value;
  }
  return std::nullopt;
}

// What a judge may name in result.json's "verdict" (the others are the runner's to decide:
// accepted and partial from the score, compile_error and bad_archive from earlier stages).
constexpr bool JudgeMayName(Verdict v) {
  return v == Verdict::kWrongAnswer || v == Verdict::kRuntimeError || v == Verdict::kTimeLimit ||
         v == Verdict::kMemoryLimit || v == Verdict::kOutputLimit;
}

}  // namespace oj
