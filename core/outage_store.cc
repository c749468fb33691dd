#include "core/outage_store.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "core/db_columns.h"

namespace oj {
namespace {

constexpr size_t kImportBatch = 1000;  // rows per transaction

Result<uint32_t> FindModuleId(Database& db, const std::string& course, const std::string& module,
                              bool for_update) {
  auto& st = db.Prepare(std::string("SELECT m.id FROM modules m JOIN courses c ON c.id = "
                                    "m.course_id WHERE c.code = ? AND m.code = ?") +
                        (for_update ? " FOR UPDATE" : ""));
  st.setString(1, course);
  st.setString(2, module);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) {
    return Status::NotFound("no module '" + module + "' in course '" + course +
                            "'; see `ojctl module list " + course + "`");
  }
  return rs->getUInt(1);
}

// Inserts rows in transactions of kImportBatch rows, bind(statement, row) setting each.
template <typename Row, typename Bind>
Status InsertInBatches(Database& db, const char* what, const char* insert,
                       const std::vector<Row>& rows, Bind bind) {
  for (size_t begin = 0; begin < rows.size(); begin += kImportBatch) {
    size_t end = std::min(rows.size(), begin + kImportBatch);
    Status s = db.Transaction(what, [&] {
      auto& st = db.Prepare(insert);
      for (size_t i = begin; i < end; ++i) {
        bind(st, rows[i]);
        st.executeUpdate();
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ImportRefusals(Database& db, const std::vector<RefusalRecord>& rows) {
  return InsertInBatches(
      db, "import refused attempts",
      "INSERT IGNORE INTO refused_attempts (id, at, status, token, course, module, reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      rows, [](sql::PreparedStatement& st, const RefusalRecord& r) {
        st.setString(1, r.id);
        st.setString(2, FormatDbTime(r.at));
        st.setInt(3, r.status);
        st.setString(4, r.token);
        st.setString(5, r.course);
        st.setString(6, r.module);
        st.setString(7, r.reason);
      });
}

Status ImportMinutes(Database& db, const std::vector<MinuteSample>& rows) {
  // Counts of one minute only grow within one watchdog: the larger value is the newer, and
  // importing a line twice changes nothing.
  return InsertInBatches(
      db, "import availability minutes",
      "INSERT INTO outage_minutes (minute, probes, probes_failed, uploads, uploads_5xx) "
      "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
      "probes = GREATEST(probes, VALUES(probes)), "
      "probes_failed = GREATEST(probes_failed, VALUES(probes_failed)), "
      "uploads = GREATEST(uploads, VALUES(uploads)), "
      "uploads_5xx = GREATEST(uploads_5xx, VALUES(uploads_5xx))",
      rows, [](sql::PreparedStatement& st, const MinuteSample& m) {
        st.setString(1, FormatDbTime(MinuteStart(m.minute)));
        st.setUInt(2, m.probes);
        st.setUInt(3, m.probes_failed);
        st.setUInt(4, m.uploads);
        st.setUInt(5, m.uploads_5xx);
      });
}

}  // namespace

Result<ImportCounts> ImportLedgerJournals(Database& db, const std::string& ledger_dir,
                                          uint64_t journal_max_bytes) {
  ImportCounts n;
  Status s = ImportJournal(ledger_dir, kRefusalsJournal, journal_max_bytes,
                           [&](const std::vector<std::string>& lines) {
                             std::vector<RefusalRecord> rows;
                             for (const std::string& l : lines) {
                               if (auto r = ParseRefusal(l)) {
                                 rows.push_back(std::move(*r));
                               } else {
                                 ++n.bad_lines;
                               }
                             }
                             Status st = ImportRefusals(db, rows);
                             if (st.ok()) n.refusals += rows.size();
                             return st;
                           });
  if (!s.ok()) return s;
  s = ImportJournal(ledger_dir, kMinutesJournal, journal_max_bytes,
                    [&](const std::vector<std::string>& lines) {
                      std::vector<MinuteSample> rows;
                      for (const std::string& l : lines) {
                        if (auto m = ParseMinute(l)) {
                          rows.push_back(*m);
                        } else {
                          ++n.bad_lines;
                        }
                      }
                      Status st = ImportMinutes(db, rows);
                      if (st.ok()) n.minutes += rows.size();
                      return st;
                    });
  if (!s.ok()) return s;
  return n;
}

Result<LedgerMinutes> LoadLedgerMinutes(Database& db, SysTime since) {
  LedgerMinutes out;
  Status s = db.Run("load outage minutes", [&] {
    auto& st = db.Prepare(
        "SELECT minute, probes, probes_failed, uploads, uploads_5xx FROM outage_minutes "
        "WHERE minute >= ? AND (probes_failed > 0 OR uploads_5xx > 0) ORDER BY minute LIMIT "
        "100000");
    st.setString(1, FormatDbTime(since));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      MinuteSample m;
      m.minute = MinuteOf(OptTime(*rs, 1).value_or(SysTime{}));
      m.probes = rs->getUInt(2);
      m.probes_failed = rs->getUInt(3);
      m.uploads = rs->getUInt(4);
      m.uploads_5xx = rs->getUInt(5);
      out.with_failures.push_back(m);
    }
    auto& last = db.Prepare("SELECT MAX(minute) FROM outage_minutes");
    std::unique_ptr<sql::ResultSet> lr(last.executeQuery());
    if (lr->next()) {
      if (auto t = OptTime(*lr, 1)) out.latest_minute = MinuteOf(*t);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<RefusalCounts> CountRefusals(Database& db, SysTime from, SysTime to,
                                    const std::string& course, const std::string& module) {
  RefusalCounts c;
  Status s = db.Run("count refused attempts", [&] {
    auto& st = db.Prepare(
        "SELECT COUNT(*), COUNT(DISTINCT s.token) FROM refused_attempts r "
        "LEFT JOIN students s ON s.token = r.token "
        "WHERE r.at >= ? AND r.at < ? AND (? = '' OR (r.course = ? AND r.module = ?))");
    st.setString(1, FormatDbTime(from));
    st.setString(2, FormatDbTime(to));
    st.setString(3, course);
    st.setString(4, course);
    st.setString(5, module);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) {
      c.attempts = rs->getUInt64(1);
      c.tokens = rs->getUInt64(2);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return c;
}

Result<RefusalLookup> LookupRefusal(Database& db, const std::string& token,
                                    const std::string& course, const std::string& module,
                                    uint32_t student_id, uint32_t module_id, SysTime before) {
  RefusalLookup out;
  Status s = db.Run("look up refused attempts", [&] {
    auto& st = db.Prepare(
        "SELECT r.at, EXISTS (SELECT 1 FROM submissions s WHERE s.student_id = ? AND "
        "s.module_id = ? AND s.received_at > r.at) FROM refused_attempts r "
        "WHERE r.token = ? AND r.course = ? AND r.module = ? AND r.at < ? "
        "ORDER BY r.at DESC LIMIT 1");
    st.setUInt(1, student_id);
    st.setUInt(2, module_id);
    st.setString(3, token);
    st.setString(4, course);
    st.setString(5, module);
    st.setString(6, FormatDbTime(before));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) {
      out.refused_at = OptTime(*rs, 1);
      out.stored_since = rs->getBoolean(2);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<GraceModule>> LoadGraceModules(Database& db, SysTime from, SysTime to) {
  std::vector<GraceModule> out;
  Status s = db.Run("load modules for grace", [&] {
    auto& st = db.Prepare(
        "SELECT m.id, c.code, m.code, m.deadline, m.closed, m.grace_policy FROM modules m "
        "JOIN courses c ON c.id = m.course_id WHERE m.grace_policy <> 'off' AND "
        "m.deadline >= ? AND m.deadline <= ? ORDER BY m.deadline LIMIT 10000");
    st.setString(1, FormatDbTime(from));
    st.setString(2, FormatDbTime(to));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      GraceModule m;
      m.id = rs->getUInt(1);
      m.course = rs->getString(2);
      m.code = rs->getString(3);
      m.deadline = OptTime(*rs, 4).value_or(SysTime{});
      m.closed = rs->getBoolean(5);
      auto p = ParseGracePolicy(std::string(rs->getString(6)));
      if (!p) continue;  // an unknown value written by hand: treated as off
      m.policy = *p;
      out.push_back(std::move(m));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::set<std::pair<uint32_t, int64_t>>> LoadGraceDecisions(Database& db, SysTime since) {
  std::set<std::pair<uint32_t, int64_t>> out;
  Status s = db.Run("load grace decisions", [&] {
    auto& st = db.Prepare(
        "SELECT module_id, incident_start FROM grace_decisions WHERE incident_start >= ?");
    st.setString(1, FormatDbTime(since));
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      out.emplace(rs->getUInt(1), MinuteOf(OptTime(*rs, 2).value_or(SysTime{})));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<bool> RecordGraceSuggestion(Database& db, uint32_t module_id, const Incident& incident,
                                   SysTime deadline) {
  bool inserted = false;
  Status s = db.Run("record grace suggestion", [&] {
    auto& st = db.Prepare(
        "INSERT IGNORE INTO grace_decisions (module_id, incident_start, incident_end, action, "
        "minutes, decided_at, old_deadline, new_deadline) VALUES (?, ?, ?, 'suggest', ?, "
        "UTC_TIMESTAMP(6), ?, NULL)");
    st.setUInt(1, module_id);
    st.setString(2, FormatDbTime(incident.start()));
    st.setString(3, FormatDbTime(incident.end()));
    st.setUInt(4, incident.minutes());
    st.setString(5, FormatDbTime(deadline));
    inserted = st.executeUpdate() == 1;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return inserted;
}

Result<std::optional<Extension>> ExtendModuleDeadline(Database& db, const std::string& course,
                                                      const std::string& module, uint32_t minutes,
                                                      const std::string& actor,
                                                      const std::optional<Incident>& incident) {
  if (minutes == 0 || minutes > 525600) {
    return Status::InvalidArgument("--minutes must be between 1 and 525600 (a year)");
  }
  std::optional<Extension> out;
  Status s = db.Transaction("extend " + course + "/" + module, [&]() -> Status {
    out.reset();
    auto mid = FindModuleId(db, course, module, true);
    if (!mid.ok()) return mid.status();
    auto& sel = db.Prepare("SELECT deadline, late_until FROM modules WHERE id = ? FOR UPDATE");
    sel.setUInt(1, *mid);
    std::unique_ptr<sql::ResultSet> rs(sel.executeQuery());
    if (!rs->next()) return Status::NotFound("module vanished");
    Extension e;
    e.old_deadline = OptTime(*rs, 1).value_or(SysTime{});
    e.old_late_until = OptTime(*rs, 2);
    auto by = std::chrono::minutes(minutes);
    e.new_deadline = e.old_deadline + by;
    if (e.old_late_until) e.new_late_until = *e.old_late_until + by;
    if (incident) {
      auto& claim = db.Prepare(
          "INSERT IGNORE INTO grace_decisions (module_id, incident_start, incident_end, action, "
          "minutes, decided_at, old_deadline, new_deadline) VALUES (?, ?, ?, 'extend', ?, "
          "UTC_TIMESTAMP(6), ?, ?)");
      claim.setUInt(1, *mid);
      claim.setString(2, FormatDbTime(incident->start()));
      claim.setString(3, FormatDbTime(incident->end()));
      claim.setUInt(4, minutes);
      claim.setString(5, FormatDbTime(e.old_deadline));
      claim.setString(6, FormatDbTime(e.new_deadline));
      if (claim.executeUpdate() != 1) return Status::Ok();  // applied before: nothing to do
    }
    auto& upd = db.Prepare("UPDATE modules SET deadline = ?, late_until = ? WHERE id = ?");
    upd.setString(1, FormatDbTime(e.new_deadline));
    if (e.new_late_until) {
      upd.setString(2, FormatDbTime(*e.new_late_until));
    } else {
      upd.setNull(2, 0);
    }
    upd.setUInt(3, *mid);
    upd.executeUpdate();
    auto& clear = db.Prepare(
        "UPDATE submissions SET late = 0 WHERE module_id = ? AND late = 1 AND received_at <= ?");
    clear.setUInt(1, *mid);
    clear.setString(2, FormatDbTime(e.new_deadline));
    e.late_cleared = static_cast<uint64_t>(clear.executeUpdate());
    std::string detail = "deadline " + FormatDbTime(e.old_deadline) + " -> " +
                         FormatDbTime(e.new_deadline) + " UTC (+" + std::to_string(minutes) +
                         " min)";
    if (e.new_late_until) detail += ", late window end moved as well";
    if (e.late_cleared) detail += ", " + std::to_string(e.late_cleared) + " late marks cleared";
    if (incident) {
      detail += "; outage " + FormatDbTime(incident->start()) + " -> " +
                FormatDbTime(incident->end()) + " UTC, grace policy auto";
    }
    auto& audit = db.Prepare(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (UTC_TIMESTAMP(6), ?, "
        "'module.extend', ?, ?)");
    audit.setString(1, actor);
    audit.setString(2, course + "/" + module);
    audit.setString(3, detail);
    audit.executeUpdate();
    out = e;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status SetGracePolicy(Database& db, const std::string& course, const std::string& module,
                      GracePolicy policy) {
  return db.Run("set grace policy", [&]() -> Status {
    auto mid = FindModuleId(db, course, module, false);
    if (!mid.ok()) return mid.status();
    auto& st = db.Prepare("UPDATE modules SET grace_policy = ? WHERE id = ?");
    st.setString(1, GracePolicyName(policy));
    st.setUInt(2, *mid);
    st.executeUpdate();
    return Status::Ok();
  });
}

Result<GracePolicy> GetGracePolicy(Database& db, const std::string& course,
                                   const std::string& module) {
  GracePolicy p = GracePolicy::kSuggest;
  Status s = db.Run("read grace policy", [&]() -> Status {
    auto mid = FindModuleId(db, course, module, false);
    if (!mid.ok()) return mid.status();
    auto& st = db.Prepare("SELECT grace_policy FROM modules WHERE id = ?");
    st.setUInt(1, *mid);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    if (rs->next()) p = ParseGracePolicy(std::string(rs->getString(1))).value_or(GracePolicy::kOff);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return p;
}

}  // namespace oj
