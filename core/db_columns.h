#pragma once
// Nullable columns read and bound the same way by every store: a column is named by its
// 1-based index or its label. NULL reads as nullopt (or "" for OptString); times are the
// database's UTC DATETIME(6) text (core/clock.h ParseDbTime).

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"

namespace oj {

template <typename Column>
std::optional<SysTime> OptTime(sql::ResultSet& rs, Column col) {
  if (rs.isNull(col)) return std::nullopt;
  return ParseDbTime(std::string(rs.getString(col)));
}

template <typename Column>
SysTime Time(sql::ResultSet& rs, Column col) {
  return OptTime(rs, col).value_or(SysTime{});
}

template <typename Column>
std::optional<double> OptDouble(sql::ResultSet& rs, Column col) {
  if (rs.isNull(col)) return std::nullopt;
  return static_cast<double>(rs.getDouble(col));
}

template <typename Column>
std::optional<uint64_t> OptU64(sql::ResultSet& rs, Column col) {
  if (rs.isNull(col)) return std::nullopt;
  return rs.getUInt64(col);
}

template <typename Column>
std::optional<uint32_t> OptU32(sql::ResultSet& rs, Column col) {
  if (rs.isNull(col)) return std::nullopt;
  return rs.getUInt(col);
}

template <typename Column>
std::string OptString(sql::ResultSet& rs, Column col) {
  return rs.isNull(col) ? std::string() : std::string(rs.getString(col));
}

inline void SetOptDouble(sql::PreparedStatement& st, int i, std::optional<double> v) {
  if (v) {
    st.setDouble(i, *v);
  } else {
    st.setNull(i, 0);
  }
}

inline void SetOptU64(sql::PreparedStatement& st, int i, std::optional<uint64_t> v) {
  if (v) {
    st.setUInt64(i, *v);
  } else {
    st.setNull(i, 0);
  }
}

}  // namespace oj
