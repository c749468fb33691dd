// Signed, expiring links to stored uploads, for judge hosts that fetch archives from
// the intake host through nginx (docs/scaling.md, contract §5.3).
//
// nginx's secure_link module checks them: the location /archive/ serves
// paths.storage_dir only when
//   md5 == base64url(MD5("<expires><uri> <secret>"))  and  expires > now,
// and only to server.archive_allow. The secret (32 random bytes as 64 hex characters)
// lives in <keys_dir>/archive-link.key (mode 0600) on the intake host and on every
// judge host; <keys_dir>/archive-link.nginx (0600) holds the matching
// `secure_link_md5` line that the rendered nginx.conf includes. Without that file
// nginx refuses every archive request (fail closed).
//
// MD5 is what secure_link offers; with a 256-bit secret at the end of the message and
// a short expiry, forging a link needs a preimage, not a collision.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace oj {

inline constexpr const char* kArchiveLocation = "/archive/";

// The URI path of a stored upload: "/archive/<storage_key>".
// REQUIRES: storage_key is relative, without "..", as the intake writes it.
std::string ArchiveUri(const std::string& storage_key);

// "<uri>?md5=<sig>&expires=<expires_unix>". Pure.
std::string SignArchiveLink(const std::string& secret, const std::string& uri,
                            int64_t expires_unix);

// The nginx line that checks links signed with secret.
std::string ArchiveLinkNginxSnippet(const std::string& secret);

// Paths of the two files in keys_dir.
std::string ArchiveSecretPath(const std::string& keys_dir);
std::string ArchiveSnippetPath(const std::string& keys_dir);

// Reads the secret; NotFound when the key file is missing.
Result<std::string> LoadArchiveSecret(const std::string& keys_dir);
// Reads the secret, creating keys_dir (0700), the key and the nginx snippet (0600) on
// first use; rewrites the snippet when it does not match the key.
Result<std::string> LoadOrCreateArchiveSecret(const std::string& keys_dir);

}  // namespace oj
