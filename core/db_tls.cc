#include "core/db_tls.h"

namespace oj {

DatabaseTlsOptions TlsOptionsFor(const DatabaseConfig& cfg) {
  DatabaseTlsOptions o;
  if (cfg.tls_mode == "off") return o;
  o.enabled = true;
  o.verify_server = cfg.tls_mode == "verify";
  o.ca = cfg.tls_ca;
  o.cert = cfg.tls_cert;
  o.key = cfg.tls_key;
  return o;
}

Status ValidateDatabaseTls(const DatabaseConfig& cfg) {
  const std::string& m = cfg.tls_mode;
  if (m != "off" && m != "required" && m != "verify") {
    return Status::InvalidArgument(
        "config key 'database.tls_mode' must be off, required or verify (got '" + m + "')");
  }
  if (m == "off" && !(cfg.tls_ca.empty() && cfg.tls_cert.empty() && cfg.tls_key.empty())) {
    return Status::InvalidArgument(
        "config keys 'database.tls_ca/tls_cert/tls_key' are set but 'database.tls_mode' is off; "
        "set tls_mode = \"required\" or \"verify\" (or remove them)");
  }
  if (m == "verify" && cfg.tls_ca.empty()) {
    return Status::InvalidArgument(
        "config key 'database.tls_mode' = \"verify\" needs 'database.tls_ca' (the CA that signed "
        "the server's certificate)");
  }
  if (cfg.tls_cert.empty() != cfg.tls_key.empty()) {
    return Status::InvalidArgument(
        "config keys 'database.tls_cert' and 'database.tls_key' go together (a client "
        "certificate and its key)");
  }
  return Status::Ok();
}

}  // namespace oj
