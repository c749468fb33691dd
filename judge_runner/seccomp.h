// The seccomp filter for the student's code: extraction, the build, and the program the
// judge runs through oj-run (never the test stage's judge itself, which nests a sandbox).
// Defence in depth behind the namespaces: the calls a judged program never needs fail
// with EPERM (clone3 with ENOSYS, so that libc falls back to clone, whose namespace flags
// the filter can see). The list, with why, is kRefusedCalls in seccomp.cc and in
// docs/runner.md ("The seccomp filter").
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace oj::runner {

// The names of the refused system calls (for the docs and the tests).
const std::vector<std::string>& SeccompRefusedCalls();

// Compiles the filter for this machine's architecture and writes it (BPF, as bwrap's
// --seccomp reads it) to path, atomically.
Status WriteSeccompFilter(const std::string& path);

}  // namespace oj::runner
