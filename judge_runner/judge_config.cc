#include "judge_runner/judge_config.h"

#include <toml++/toml.h>

#include <set>
#include <sstream>

namespace oj::runner {
namespace {

struct LimitKey {
  const char* name;
  uint64_t unit;  // multiplier to the struct's unit
  uint64_t min, max;
};

constexpr LimitKey kLimitKeys[] = {
    {"cpu_ms", 1, 100, 600'000},
    {"wall_ms", 1, 100, 1'800'000},
    {"memory_mb", 1ull << 20, 16, 16384},
    {"pids", 1, 4, 4096},
    {"file_size_mb", 1ull << 20, 1, 4096},
    {"open_files", 1, 16, 4096},
    {"output_kb", 1ull << 10, 1, 65536},
    {"scratch_mb", 1ull << 20, 1, 4096},
    {"scratch_files", 1, 16, 1'000'000},
    {"shm_mb", 1ull << 20, 1, 4096},
    {"program_tmp_mb", 1ull << 20, 1, 4096},
    {"program_files", 1, 16, 1'000'000},
};

Status CheckKeys(const toml::table& t, const std::set<std::string>& allowed,
                 const std::string& where) {
  for (const auto& [k, v] : t) {
    if (!allowed.count(std::string(k.str()))) {
      return Status::InvalidArgument("judge.toml: unknown key '" + where + std::string(k.str()) +
                                     "'");
    }
  }
  return Status::Ok();
}

Status ApplyLimits(const toml::table* t, SandboxLimits& lim, const std::string& where) {
  if (t == nullptr) return Status::Ok();
  std::set<std::string> names;
  for (const auto& k : kLimitKeys) names.insert(k.name);
  Status s = CheckKeys(*t, names, where);
  if (!s.ok()) return s;
  for (const auto& k : kLimitKeys) {
    const toml::node* n = t->get(k.name);
    if (n == nullptr) continue;
    auto v = n->value<int64_t>();
    if (!v || *v < static_cast<int64_t>(k.min) || *v > static_cast<int64_t>(k.max)) {
      return Status::InvalidArgument("judge.toml: " + where + k.name + " must be an integer in [" +
                                     std::to_string(k.min) + ", " + std::to_string(k.max) + "]");
    }
    uint64_t x = static_cast<uint64_t>(*v) * k.unit;
    std::string name = k.name;
    if (name == "cpu_ms") lim.cpu_time = std::chrono::milliseconds(x);
    if (name == "wall_ms") lim.wall_time = std::chrono::milliseconds(x);
    if (name == "memory_mb") lim.memory_bytes = x;
    if (name == "pids") lim.pids = static_cast<uint32_t>(x);
    if (name == "file_size_mb") lim.file_size_bytes = x;
    if (name == "open_files") lim.open_files = static_cast<uint32_t>(x);
    if (name == "output_kb") lim.output_bytes = x;
    if (name == "scratch_mb") lim.scratch_bytes = x;
    if (name == "scratch_files") lim.scratch_inodes = x;
    if (name == "shm_mb") lim.shm_bytes = x;
    if (name == "program_tmp_mb") lim.program_tmp_bytes = x;
    if (name == "program_files") lim.program_files = x;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Command(const toml::node* n, const std::string& where) {
  if (n == nullptr) return Status::InvalidArgument("judge.toml: " + where + "command is missing");
  if (auto s = n->value<std::string>()) {
    if (s->empty()) return Status::InvalidArgument("judge.toml: " + where + "command is empty");
    return std::vector<std::string>{"/bin/sh", "-c", *s};
  }
  const toml::array* a = n->as_array();
  std::vector<std::string> argv;
  if (a != nullptr) {
    for (const auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) return Status::InvalidArgument("judge.toml: " + where + "command has a non-string");
      argv.push_back(*s);
    }
  }
  if (argv.empty()) {
    return Status::InvalidArgument("judge.toml: " + where +
                                   "command must be a string or a non-empty array of strings");
  }
  return argv;
}

Result<StageConfig> Stage(const toml::table& t, const SandboxLimits& base,
                          const std::string& name) {
  std::string where = name + ".";
  Status s = CheckKeys(t, {"command", "limits"}, where);
  if (!s.ok()) return s;
  StageConfig st;
  st.limits = base;
  auto cmd = Command(t.get("command"), where);
  if (!cmd.ok()) return cmd.status();
  st.command = std::move(cmd.value());
  const toml::node* lim = t.get("limits");
  if (lim != nullptr && !lim->is_table()) {
    return Status::InvalidArgument("judge.toml: " + where + "limits must be a table");
  }
  s = ApplyLimits(lim ? lim->as_table() : nullptr, st.limits, where + "limits.");
  if (!s.ok()) return s;
  return st;
}

}  // namespace

Result<JudgeConfig> ParseJudgeConfig(const std::string& toml_text) {
  toml::table t;
  try {
    t = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << "judge.toml: " << e.description() << " at line " << e.source().begin.line;
    return Status::InvalidArgument(m.str());
  }
  Status s = CheckKeys(t, {"max_score", "root", "build", "test", "limits", "archive"}, "");
  if (!s.ok()) return s;
  JudgeConfig c;
  if (const toml::node* n = t.get("max_score")) {
    auto v = n->value<double>();
    if (!v || *v <= 0 || *v > 1e6) {
      return Status::InvalidArgument("judge.toml: max_score must be a number in (0, 1e6]");
    }
    c.max_score = *v;
  }
  if (const toml::node* n = t.get("root")) {
    auto v = n->value<std::string>();
    if (!v || (!v->empty() && (*v)[0] != '/')) {
      return Status::InvalidArgument("judge.toml: root must be an absolute path or \"\"");
    }
    c.root = *v;
  }
  if (const toml::node* a = t.get("archive")) {
    if (!a->is_table()) return Status::InvalidArgument("judge.toml: archive must be a table");
    s = CheckKeys(*a->as_table(), {"links"}, "archive.");
    if (!s.ok()) return s;
    if (const toml::node* l = a->as_table()->get("links")) {
      auto v = l->value<std::string>();
      if (!v || (*v != "inside" && *v != "refuse")) {
        return Status::InvalidArgument(
            "judge.toml: archive.links must be \"inside\" (links resolving within the upload) "
            "or \"refuse\" (no links at all)");
      }
      c.links = *v == "refuse" ? LinkPolicy::kRefuse : LinkPolicy::kInside;
    }
  }
  SandboxLimits base;
  const toml::node* lim = t.get("limits");
  if (lim != nullptr && !lim->is_table()) {
    return Status::InvalidArgument("judge.toml: limits must be a table");
  }
  s = ApplyLimits(lim ? lim->as_table() : nullptr, base, "limits.");
  if (!s.ok()) return s;
  if (const toml::node* b = t.get("build")) {
    if (!b->is_table()) return Status::InvalidArgument("judge.toml: build must be a table");
    auto st = Stage(*b->as_table(), base, "build");
    if (!st.ok()) return st.status();
    c.build = std::move(st.value());
  }
  const toml::node* test = t.get("test");
  if (test == nullptr || !test->is_table()) {
    return Status::InvalidArgument("judge.toml: a [test] table with a command is required");
  }
  auto st = Stage(*test->as_table(), base, "test");
  if (!st.ok()) return st.status();
  c.test = std::move(st.value());
  return c;
}

}  // namespace oj::runner
