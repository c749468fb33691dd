// A module's judge.toml (docs/runner.md has the format):
//
//   max_score = 100
//   root = ""                       # system directories from here; "" = the host's
//   [build]                         # optional; a non-zero exit is compile_error
//   command = ["gcc", "-O2", "-o", "expr", "expr.c"]
//   [test]                          # writes $OJ_RESULT (/out/result.json)
//   command = ["/bin/sh", "/judge/test.sh"]
//   [limits]                        # both stages; [build.limits] / [test.limits] override
//   cpu_ms = 10000   wall_ms = 20000   memory_mb = 256   pids = 64
//   file_size_mb = 16   open_files = 64   output_kb = 64   scratch_mb = 64
//
// A command is an array (argv) or a string (run with /bin/sh -c). Unknown keys and
// out-of-range values are errors (the module is misconfigured: judge_error).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "judge_runner/archive.h"
#include "judge_runner/limits.h"

namespace oj::runner {

struct StageConfig {
  std::vector<std::string> command;  // argv inside the sandbox
  SandboxLimits limits;
};

struct JudgeConfig {
  double max_score = 100;
  std::string root;  // "" = host
  // [archive] links: "inside" (default: symlinks that resolve within the upload) or
  // "refuse" (an upload with any symlink is bad_archive).
  LinkPolicy links = LinkPolicy::kInside;
  std::optional<StageConfig> build;
  StageConfig test;
};

Result<JudgeConfig> ParseJudgeConfig(const std::string& toml_text);

}  // namespace oj::runner
