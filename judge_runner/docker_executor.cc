#include "judge_runner/docker_executor.h"

namespace oj::runner {

std::vector<std::string> DockerRunArgs(const SandboxSpec& spec, const DockerOptions& opt) {
  const SandboxLimits& l = spec.limits;
  const std::string mem = std::to_string(l.memory_bytes);
  uint64_t cpu_s = (static_cast<uint64_t>(l.cpu_time.count()) + 999) / 1000 + 1;
  std::vector<std::string> a = {
      "docker",
      "run",
      "--rm",
      "--name",
      opt.container_name,
      "--network",
      "none",
      "--read-only",
      "--user",
      std::to_string(kSandboxUid) + ":" + std::to_string(kSandboxGid),
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--ipc",
      "none",
      "--memory",
      mem,
      "--memory-swap",
      mem,
      "--oom-kill-disable=false",
      "--pids-limit",
      std::to_string(l.pids),
      "--cpus",
      "1",
      "--ulimit",
      "cpu=" + std::to_string(cpu_s) + ":" + std::to_string(cpu_s + 1),
      "--ulimit",
      "fsize=" + std::to_string(l.file_size_bytes),
      "--ulimit",
      "nofile=" + std::to_string(l.open_files),
      "--ulimit",
      "core=0",
      "--tmpfs",
      "/tmp:rw,nosuid,nodev,size=" + std::to_string(l.scratch_bytes),
  };
  if (spec.stdin_fd >= 0) a.push_back("-i");
  for (const Bind& b : spec.binds) {
    a.push_back("-v");
    a.push_back(b.source + ":" + b.target + (b.writable ? "" : ":ro"));
  }
  a.insert(a.end(), {"-w", spec.cwd, "-e", "HOME=/tmp", "-e", "LANG=C.UTF-8"});
  for (const std::string& kv : spec.env) a.insert(a.end(), {"-e", kv});
  a.push_back(spec.root_fs.empty() ? opt.image : spec.root_fs);
  a.insert(a.end(), spec.argv.begin(), spec.argv.end());
  return a;
}

std::vector<std::string> DockerKillArgs(const DockerOptions& opt) {
  return {"docker", "kill", "--signal", "KILL", opt.container_name};
}

}  // namespace oj::runner
