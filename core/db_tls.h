// TLS between our programs and MariaDB/MySQL (judge hosts reach the
// primary over the network). Connector/C++ 1.1 on Debian 12 is built on MariaDB
// Connector/C, so the options it honours are sslCA/sslCert/sslKey (mysql_ssl_set),
// sslEnforce (MYSQL_OPT_SSL_ENFORCE: no plaintext fallback) and sslVerify
// (MYSQL_OPT_SSL_VERIFY_SERVER_CERT: CA chain and host name). It has no
// MYSQL_OPT_SSL_MODE, so we never pass OPT_SSL_MODE.
#pragma once

#include <string>

#include "core/config.h"
#include "core/status.h"

namespace oj {

// What Database::Connect passes to the connector for one DatabaseConfig.
struct DatabaseTlsOptions {
  bool enabled = false;  // TLS at all; when true the connection refuses plaintext
  bool verify_server = false;
  std::string ca, cert, key;  // empty: not passed
};

// Pure. REQUIRES: ValidateDatabaseTls(cfg).ok().
DatabaseTlsOptions TlsOptionsFor(const DatabaseConfig& cfg);

// Pure: tls_mode is off|required|verify; verify needs tls_ca; tls_cert and tls_key
// come together; no tls_* file without a mode that uses it.
Status ValidateDatabaseTls(const DatabaseConfig& cfg);

}  // namespace oj
