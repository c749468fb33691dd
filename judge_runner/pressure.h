// The pressure gate: before each claim the runner reads PSI (memory and io "some"
// avg10), MemAvailable and the free disk of its work directory; over a threshold it
// holds (runners.state = held, with the reason) instead of claiming. The paths come
// from the configuration so tests can point them at fake files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/config.h"

namespace oj::runner {

struct PressureReadings {
  std::optional<double> psi_memory_some_avg10;  // nullopt: file missing (old kernel)
  std::optional<double> psi_io_some_avg10;
  std::optional<uint64_t> mem_available_bytes;
  std::optional<uint64_t> disk_free_bytes;
};

// "some avg10=1.23 avg60=..." -> 1.23; nullopt if absent or malformed.
std::optional<double> ParsePsiSomeAvg10(const std::string& text);
// /proc/meminfo "MemAvailable:  123 kB" -> bytes.
std::optional<uint64_t> ParseMemAvailable(const std::string& text);

// Pure: the reason to hold ("" to proceed), naming the reading and its threshold.
std::string HoldReason(const PressureReadings& r, const RunnerConfig& c);

PressureReadings ReadPressure(const RunnerConfig& c);

}  // namespace oj::runner
