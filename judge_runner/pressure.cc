#include "judge_runner/pressure.h"

#include <cstdio>
#include <sstream>

#include "core/fs.h"

namespace oj::runner {

std::optional<double> ParsePsiSomeAvg10(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 5, "some ") != 0) continue;
    size_t p = line.find("avg10=");
    if (p == std::string::npos) return std::nullopt;
    try {
      size_t used = 0;
      double v = std::stod(line.substr(p + 6), &used);
      if (used == 0 || v < 0) return std::nullopt;
      return v;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseMemAvailable(const std::string& text) {
  std::istringstream in(text);
  std::string key, unit;
  uint64_t value;
  while (in >> key) {
    if (key == "MemAvailable:") {
      if (!(in >> value >> unit) || unit != "kB") return std::nullopt;
      return value * 1024;
    }
  }
  return std::nullopt;
}

static std::string Fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string HoldReason(const PressureReadings& r, const RunnerConfig& c) {
  if (r.psi_memory_some_avg10 && *r.psi_memory_some_avg10 > c.psi_memory_max) {
    return "memory pressure " + Fmt(*r.psi_memory_some_avg10) + "% > " + Fmt(c.psi_memory_max) +
           "% (" + c.psi_memory_path + ")";
  }
  if (r.psi_io_some_avg10 && *r.psi_io_some_avg10 > c.psi_io_max) {
    return "io pressure " + Fmt(*r.psi_io_some_avg10) + "% > " + Fmt(c.psi_io_max) + "% (" +
           c.psi_io_path + ")";
  }
  if (r.mem_available_bytes && *r.mem_available_bytes < c.mem_available_min_bytes) {
    return "MemAvailable " + std::to_string(*r.mem_available_bytes >> 20) + " MiB < " +
           std::to_string(c.mem_available_min_bytes >> 20) + " MiB";
  }
  if (r.disk_free_bytes && *r.disk_free_bytes < c.disk_free_min_bytes) {
    return "free disk in " + c.work_dir + " " + std::to_string(*r.disk_free_bytes >> 20) +
           " MiB < " + std::to_string(c.disk_free_min_bytes >> 20) + " MiB";
  }
  return "";
}

PressureReadings ReadPressure(const RunnerConfig& c) {
  PressureReadings r;
  if (auto t = ReadSmallFile(c.psi_memory_path, 4096); t.ok()) {
    r.psi_memory_some_avg10 = ParsePsiSomeAvg10(t.value());
  }
  if (auto t = ReadSmallFile(c.psi_io_path, 4096); t.ok()) {
    r.psi_io_some_avg10 = ParsePsiSomeAvg10(t.value());
  }
  if (auto t = ReadSmallFile(c.meminfo_path, 1 << 16); t.ok()) {
    r.mem_available_bytes = ParseMemAvailable(t.value());
  }
  if (auto f = FreeBytes(c.work_dir); f.ok()) r.disk_free_bytes = f.value();
  return r;
}

}  // namespace oj::runner
