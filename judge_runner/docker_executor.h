// The Docker executor (runner.executor = "docker"), for hosts with a Docker engine:
// the same SandboxSpec becomes a `docker run` command line with the same limits.
// Only the command line is built and unit-tested here; hosts without an engine
// (like the development and CI machines) never run it. See docs/runner.md.
#pragma once

#include <string>
#include <vector>

#include "judge_runner/sandbox.h"

namespace oj::runner {

struct DockerOptions {
  std::string image = "debian:12-slim";  // judge.toml's root names the image for docker
  std::string container_name;            // unique per run: `docker kill` on timeout
};

// docker run --rm --name N --network none --read-only --user 65534:65534
//   --memory M --memory-swap M --pids-limit P --cpus 1 --ulimit ... --tmpfs /tmp:size=S
//   -v src:dst[:ro] -w cwd -e K=V image argv...
std::vector<std::string> DockerRunArgs(const SandboxSpec& spec, const DockerOptions& opt);
// The command that ends the run when the wall clock expires.
std::vector<std::string> DockerKillArgs(const DockerOptions& opt);

}  // namespace oj::runner
