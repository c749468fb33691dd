#pragma once
// One test of a judged submission: what the judge's result.json reports for it
// (docs/contract.md §5.5), what the test_results table keeps, and what the results
// page, its JSON and `ojctl submission show` present. One type for all of them.

#include <cstdint>
#include <optional>
#include <string>

namespace oj {

struct TestResult {
  uint32_t seq = 0;  // 1-based, in result.json's order
  std::string name;
  bool passed = false;
  // The judge's to report per test (result.json); absent stays absent (NULL).
  std::optional<double> score;
  std::optional<double> max_score;
  std::string message;
  std::optional<uint64_t> time_ms;
  std::optional<uint64_t> memory_kb;
};

}  // namespace oj
