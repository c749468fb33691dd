#include "core/receipt.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/fs.h"

namespace oj {
namespace {

constexpr const char* kVersion = "r1";
constexpr size_t kKeyBytes = 32;

std::string Mac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string KeyPath(const std::string& dir, uint32_t id) {
  return dir + "/receipt-" + std::to_string(id) + ".key";
}

Status WriteNewKey(const std::string& dir, uint32_t id) {
  unsigned char key[kKeyBytes];
  if (getrandom(key, sizeof key, 0) != static_cast<ssize_t>(sizeof key)) {
    return Status::Internal("getrandom failed creating a receipt key");
  }
  std::string path = KeyPath(dir, id);
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::Internal("cannot create receipt key " + path);
  Status s = WriteAll(fd.get(), key, sizeof key);
  if (s.ok() && ::fsync(fd.get()) != 0) s = Status::Internal("fsync " + path);
  if (!s.ok()) return s;
  return FsyncDir(dir);
}

}  // namespace

std::string Base64UrlEncode(const std::string& in) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kAlpha[(v >> (6 * k)) & 63]);
    i += 3;
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out.push_back(kAlpha[(v >> 18) & 63]);
    out.push_back(kAlpha[(v >> 12) & 63]);
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out.push_back(kAlpha[(v >> 18) & 63]);
    out.push_back(kAlpha[(v >> 12) & 63]);
    out.push_back(kAlpha[(v >> 6) & 63]);
  }
  return out;
}

Result<std::string> Base64UrlDecode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (in.size() % 4 == 1) return Status::InvalidArgument("bad base64url length");
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) return Status::InvalidArgument("bad base64url character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

ReceiptKeys ReceiptKeys::FromMap(std::map<uint32_t, std::string> keys) {
  ReceiptKeys k;
  k.keys_ = std::move(keys);
  k.current_ = k.keys_.empty() ? 0 : k.keys_.rbegin()->first;
  return k;
}

Result<ReceiptKeys> ReceiptKeys::Load(const std::string& dir) {
  static const std::regex kName(R"(^receipt-(\d{1,9})\.key$)");
  std::map<uint32_t, std::string> keys;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, kName)) continue;
    auto bytes = ReadSmallFile(e.path().string(), 4096);
    if (!bytes.ok()) return bytes.status();
    if (bytes->size() < 16) return Status::InvalidArgument("receipt key " + name + " is too short");
    keys[static_cast<uint32_t>(std::stoul(m[1].str()))] = *bytes;
  }
  if (keys.empty()) {
    return Status::NotFound("no receipt key in " + dir + "; run `ojctl receipt init`");
  }
  return FromMap(std::move(keys));
}

Result<ReceiptKeys> ReceiptKeys::LoadOrCreate(const std::string& dir) {
  auto k = Load(dir);
  if (k.ok()) return k;
  Status s = MakeDirs(dir, 0700);
  if (!s.ok()) return s;
  s = WriteNewKey(dir, 1);
  if (!s.ok() && !std::filesystem::exists(KeyPath(dir, 1))) return s;
  return Load(dir);
}

Result<uint32_t> ReceiptKeys::Rotate(const std::string& dir) {
  auto k = LoadOrCreate(dir);
  if (!k.ok()) return k.status();
  uint32_t next = k->current_ + 1;
  Status s = WriteNewKey(dir, next);
  if (!s.ok()) return s;
  return next;
}

std::string ReceiptKeys::Sign(const ReceiptFields& f) const {
  nlohmann::json j = {{"id", f.id},
                      {"course", f.course},
                      {"module", f.module},
                      {"token", f.token},
                      {"size", f.size_bytes},
                      {"sha256", f.sha256},
                      {"received_at", f.received_at},
                      {"seq", f.seq}};
  std::string head =
      std::string(kVersion) + "." + std::to_string(current_) + "." + Base64UrlEncode(j.dump());
  return head + "." + Base64UrlEncode(Mac(keys_.at(current_), head));
}

Result<ReceiptFields> ReceiptKeys::Verify(const std::string& receipt) const {
  if (receipt.size() > 4096) return Status::InvalidArgument("receipt is too long");
  size_t d1 = receipt.find('.');
  size_t d2 = d1 == std::string::npos ? d1 : receipt.find('.', d1 + 1);
  size_t d3 = d2 == std::string::npos ? d2 : receipt.find('.', d2 + 1);
  if (d3 == std::string::npos || receipt.substr(0, d1) != kVersion) {
    return Status::InvalidArgument("not a receipt (expected r1.<key>.<payload>.<mac>)");
  }
  std::string kid = receipt.substr(d1 + 1, d2 - d1 - 1);
  if (kid.empty() || kid.size() > 9 || kid.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("receipt names a bad key id");
  }
  auto key = keys_.find(static_cast<uint32_t>(std::stoul(kid)));
  if (key == keys_.end()) return Status::NotFound("receipt signed with unknown key " + kid);
  std::string head = receipt.substr(0, d3);
  auto mac = Base64UrlDecode(receipt.substr(d3 + 1));
  std::string want = Mac(key->second, head);
  if (!mac.ok() || mac->size() != want.size() ||
      CRYPTO_memcmp(mac->data(), want.data(), want.size()) != 0) {
    return Status::InvalidArgument("receipt signature does not match: altered or forged");
  }
  auto payload = Base64UrlDecode(receipt.substr(d2 + 1, d3 - d2 - 1));
  if (!payload.ok()) return payload.status();
  try {
    auto j = nlohmann::json::parse(*payload);
    ReceiptFields f;
    f.id = j.at("id").get<std::string>();
    f.course = j.at("course").get<std::string>();
    f.module = j.at("module").get<std::string>();
    f.token = j.at("token").get<std::string>();
    f.size_bytes = j.at("size").get<uint64_t>();
    f.sha256 = j.at("sha256").get<std::string>();
    f.received_at = j.at("received_at").get<std::string>();
    f.seq = j.at("seq").get<uint64_t>();
    return f;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("receipt payload unreadable: ") + e.what());
  }
}

}  // namespace oj
