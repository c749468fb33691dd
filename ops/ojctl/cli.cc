#include "ops/ojctl/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/admin_store.h"
#include "ops/ojctl/time_arg.h"

namespace oj::ctl {

Database& Cli::db() {
  if (!db_) db_ = std::make_unique<Database>(cfg.database);
  return *db_;
}

Database& Cli::reads() {
  if (!router_) {
    router_ = std::make_unique<ReadRouter>(&db(), cfg.database);
    Database& r = router_->ForRead();
    if (&r == &db() && ReplicaDatabaseConfig(cfg.database)) {
      std::cerr << "ojctl: note: reading from the primary: " << router_->last_reason() << "\n";
    }
    return r;
  }
  return router_->ForRead();
}

std::string Cli::Actor() const {
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo && *sudo) return std::string("ojctl:") + sudo;
  if (const passwd* pw = getpwuid(geteuid())) return std::string("ojctl:") + pw->pw_name;
  return "ojctl:uid" + std::to_string(geteuid());
}

void Cli::Audit(const std::string& action, const std::string& target, const std::string& detail) {
  Status s = oj::Audit(db(), Actor(), action, target, detail);
  if (!s.ok())
    std::cerr << "ojctl: warning: done, but not recorded in audit_log: " << s.message() << "\n";
}

std::string DefaultConfigPath() {
  if (const char* env = std::getenv("OJ_CONFIG")) return env;
  if (std::filesystem::exists("var/oj.toml")) return "var/oj.toml";
  return "/etc/oj/oj.toml";
}

int Fail(const Status& s) {
  std::cerr << "ojctl: " << s.message() << "\n";
  switch (s.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kInvalidArgument:
      return kExitBadInput;
    case Status::Code::kNotFound:
      return kExitNotFound;
    case Status::Code::kUnavailable:
    case Status::Code::kAborted:
      return kExitUnavailable;
    case Status::Code::kFailedPrecondition:
      return kExitPrecondition;
    default:
      return kExitFailed;
  }
}

int BadInput(const std::string& message) { return Fail(Status::InvalidArgument(message)); }

namespace {
size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xc0) == 0x80) continue;
    w += c >= 0xe0 ? 2 : 1;  // CJK (3-byte and up) is double width in a terminal
  }
  return w;
}
}  // namespace

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = DisplayWidth(header[c]);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], DisplayWidth(r[c]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      out += cells[c];
      if (c + 1 < cells.size()) out += std::string(width[c] - DisplayWidth(cells[c]) + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

Result<SysTime> ParseTimeOption(const std::string& option, const std::string& value) {
  auto t = ParseTimeArg(value, std::chrono::system_clock::now());
  if (!t) {
    return Status::InvalidArgument(option + ": cannot read time '" + value +
                                   "'; use now, now+2h, now-1d, \"YYYY-MM-DD HH:MM\" (display "
                                   "zone) or \"YYYY-MM-DD HH:MM+08:00\"");
  }
  return *t;
}

Result<uint64_t> ParseSizeOption(const std::string& option, const std::string& value) {
  size_t i = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
  std::string unit = value.substr(i);
  uint64_t mult = 0;
  if (unit.empty() || unit == "B") mult = 1;
  if (unit == "K" || unit == "KiB" || unit == "k") mult = 1ull << 10;
  if (unit == "M" || unit == "MiB") mult = 1ull << 20;
  if (unit == "G" || unit == "GiB") mult = 1ull << 30;
  if (i == 0 || i > 12 || mult == 0) {
    return Status::InvalidArgument(option + ": cannot read size '" + value +
                                   "'; use bytes or a K, M, G (binary) suffix, e.g. 12M");
  }
  uint64_t n = std::stoull(value.substr(0, i)) * mult;
  if (n == 0) return Status::InvalidArgument(option + ": must be at least 1 byte");
  return n;
}

Result<bool> ParseOnOff(const std::string& option, const std::string& value) {
  if (value == "on" || value == "yes" || value == "true" || value == "1") return true;
  if (value == "off" || value == "no" || value == "false" || value == "0") return false;
  return Status::InvalidArgument(option + ": expected on or off, not '" + value + "'");
}

std::string FormatBytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) {
    std::snprintf(buf, sizeof buf, "%lluM", static_cast<unsigned long long>(n >> 20));
  } else if (n >= (1ull << 10) && n % (1ull << 10) == 0) {
    std::snprintf(buf, sizeof buf, "%lluK", static_cast<unsigned long long>(n >> 10));
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

std::string FormatScore(const std::optional<double>& v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", *v);
  return buf;
}

std::string FormatOptTime(const std::optional<SysTime>& t) {
  return t ? FormatDisplayTime(*t) : "";
}

std::string FormatAge(std::chrono::seconds s) {
  long long v = std::max<long long>(0, s.count());
  char buf[32];
  if (v < 60) {
    std::snprintf(buf, sizeof buf, "%llds", v);
  } else if (v < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", v / 60, v % 60);
  } else if (v < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", v / 3600, v % 3600 / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", v / 86400, v % 86400 / 3600);
  }
  return buf;
}

}  // namespace oj::ctl
