#include "core/archive_link.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include <filesystem>

#include "core/fs.h"
#include "core/receipt.h"

namespace oj {
namespace {

constexpr size_t kSecretBytes = 32;

bool IsHexSecret(const std::string& s) {
  return s.size() == 2 * kSecretBytes &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string ArchiveUri(const std::string& storage_key) { return kArchiveLocation + storage_key; }

std::string SignArchiveLink(const std::string& secret, const std::string& uri,
                            int64_t expires_unix) {
  std::string expires = std::to_string(expires_unix);
  std::string msg = expires + uri + " " + secret;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(msg.data(), msg.size(), md, &len, EVP_md5(), nullptr);
  return uri + "?md5=" + Base64UrlEncode(std::string(reinterpret_cast<char*>(md), len)) +
         "&expires=" + expires;
}

std::string ArchiveLinkNginxSnippet(const std::string& secret) {
  return "# Written by oj from archive-link.key; keep both files 0600.\n"
         "secure_link_md5 \"$secure_link_expires$uri " +
         secret + "\";\n";
}

std::string ArchiveSecretPath(const std::string& keys_dir) {
  return keys_dir + "/archive-link.key";
}
std::string ArchiveSnippetPath(const std::string& keys_dir) {
  return keys_dir + "/archive-link.nginx";
}

Result<std::string> LoadArchiveSecret(const std::string& keys_dir) {
  std::string path = ArchiveSecretPath(keys_dir);
  if (!std::filesystem::exists(path)) {
    return Status::NotFound("no archive link key " + path +
                            "; copy it from the intake host (created by `ojctl nginx render`)");
  }
  auto text = ReadSmallFile(path, 4096);
  if (!text.ok()) return text.status();
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (!IsHexSecret(s)) {
    return Status::InvalidArgument("archive link key " + path +
                                   " must be 64 lowercase hex characters");
  }
  return s;
}

Result<std::string> LoadOrCreateArchiveSecret(const std::string& keys_dir) {
  auto secret = LoadArchiveSecret(keys_dir);
  if (!secret.ok() && secret.status().code() == Status::Code::kNotFound) {
    Status s = MakeDirs(keys_dir, 0700);
    if (!s.ok()) return s;
    unsigned char raw[kSecretBytes];
    if (getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
      return Status::Internal("getrandom failed creating the archive link key");
    }
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : raw) {
      hex.push_back(kHex[c >> 4]);
      hex.push_back(kHex[c & 15]);
    }
    s = WriteFileAtomic(ArchiveSecretPath(keys_dir), hex + "\n", 0600);
    if (!s.ok()) return s;
    secret = LoadArchiveSecret(keys_dir);
  }
  if (!secret.ok()) return secret;
  std::string want = ArchiveLinkNginxSnippet(*secret);
  auto have = ReadSmallFile(ArchiveSnippetPath(keys_dir), 4096);
  if (!have.ok() || *have != want) {
    Status s = WriteFileAtomic(ArchiveSnippetPath(keys_dir), want, 0600);
    if (!s.ok()) return s;
  }
  return secret;
}

}  // namespace oj
