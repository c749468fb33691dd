#include "judge_runner/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "core/fs.h"

namespace oj::runner {
namespace {

// Path components of a relative name without "" and "."; nullopt if unsafe.
std::optional<std::vector<std::string>> Components(std::string_view name) {
  if (name.empty() || name[0] == '/') return std::nullopt;
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") return std::nullopt;
    for (unsigned char ch : c) {
      if (ch < 0x20 || ch == 0x7f) return std::nullopt;
    }
    out.emplace_back(c);
  }
  return out;
}

ExtractOutcome Refuse(ExtractOutcome o, std::string message, bool limit = false) {
  o.ok = false;
  o.limit = limit;
  o.message = std::move(message);
  return o;
}

// Opens (creating as needed) the directory holding the entry, never following a
// symlink on the way: a name may not walk through a link planted earlier.
Result<UniqueFd> OpenParent(const std::vector<std::string>& comps, size_t depth) {
  UniqueFd dir(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return Status::Internal(std::string("open .: ") + std::strerror(errno));
  for (size_t i = 0; i < depth; ++i) {
    if (::mkdirat(dir.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::ResourceExhausted("cannot create directory '" + comps[i] +
                                       "': " + std::strerror(errno));
    }
    UniqueFd next(
        ::openat(dir.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      return Status::InvalidArgument("'" + comps[i] + "' is a link or a file, not a directory");
    }
    dir = std::move(next);
  }
  return dir;
}

}  // namespace

bool IsSafeEntryName(std::string_view name) { return Components(name).has_value(); }

Status ResolveLinkInside(const ExtractedTree& tree, const std::string& link_path) {
  // The walk: `dir` is the directory reached so far (a path with no link in it) and `up`
  // the length of each of its parents; `pending` the components still to walk, next last.
  std::string dir;
  std::vector<size_t> up;  // dir.size() before each component was added
  std::vector<std::string> pending;
  auto push_target = [&](std::string_view target) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= target.size()) {
      size_t slash = target.find('/', pos);
      if (slash == std::string_view::npos) slash = target.size();
      std::string_view c = target.substr(pos, slash - pos);
      pos = slash + 1;
      if (!c.empty() && c != ".") parts.emplace_back(c);
    }
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
  };
  auto enter = [&](const std::string& path) {
    up.push_back(dir.size());
    dir = path;
  };
  if (size_t slash = link_path.rfind('/'); slash != std::string::npos) {
    for (size_t i = link_path.find('/'); i != std::string::npos && i <= slash;
         i = link_path.find('/', i + 1)) {
      enter(link_path.substr(0, i));
    }
  }
  auto it = tree.find(link_path);
  if (it == tree.end() || it->second.type != NodeType::kSymlink) {
    return Status::Internal("'" + link_path + "' is not a symlink of the tree");
  }
  uint32_t hops = 0, steps = 0;
  std::string via = link_path;  // the link whose target is to be walked next
  std::string followed;         // the last link whose target was taken
  for (;;) {
    const std::string& target = tree.at(via).target;
    if (target.empty()) return Status::InvalidArgument("'" + via + "' has an empty target");
    if (target[0] == '/') {
      return Status::InvalidArgument("'" + via + "' has an absolute target (" + target + ")");
    }
    if (++hops > kMaxLinkHops) {
      return Status::InvalidArgument("more than " + std::to_string(kMaxLinkHops) +
                                     " links followed (a loop?)");
    }
    push_target(target);
    followed = std::move(via);
    via.clear();
    while (via.empty() && !pending.empty()) {
      if (++steps > kMaxResolveSteps) {
        return Status::InvalidArgument("more than " + std::to_string(kMaxResolveSteps) +
                                       " path components");
      }
      const std::string c = pending.back();
      pending.pop_back();
      if (c == "..") {
        if (up.empty()) {
          return Status::InvalidArgument(
              followed == link_path ? "it climbs above the submission"
                                    : "it climbs above the submission after '" + followed + "'");
        }
        dir.resize(up.back());
        up.pop_back();
        continue;
      }
      std::string path = dir.empty() ? c : dir + "/" + c;
      auto node = tree.find(path);
      if (node != tree.end() && node->second.type == NodeType::kSymlink) {
        via = path;  // walk its target from the directory holding it
      } else {
        // A directory; or a missing name or a file with more after it, which do not
        // resolve now: walked lexically, as the directory the tree could have later.
        enter(path);
      }
    }
    if (via.empty()) return Status::Ok();
  }
}

Status CheckLinksInside(const ExtractedTree& tree) {
  for (const auto& [path, node] : tree) {
    if (node.type != NodeType::kSymlink) continue;
    Status s = ResolveLinkInside(tree, path);
    if (!s.ok()) {
      return Status::InvalidArgument("symlink '" + path +
                                     "' points outside the submission: " + s.message());
    }
  }
  return Status::Ok();
}

ExtractOutcome ExtractArchive(int fd, const ArchiveLimits& limits) {
  ExtractOutcome o;
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) {
    return Refuse(o, std::string("not a readable archive: ") + archive_error_string(a.get()));
  }
  std::vector<char> buf(1 << 16);
  ExtractedTree tree;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return Refuse(o, std::string("corrupt archive: ") + archive_error_string(a.get()));
    }
    if (++o.entries > limits.max_entries) {
      return Refuse(o, "more than " + std::to_string(limits.max_entries) + " entries", true);
    }
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    if (name.size() > limits.max_name_bytes) {
      return Refuse(
          o, "an entry name is longer than " + std::to_string(limits.max_name_bytes) + " bytes");
    }
    auto comps = Components(name);
    if (!comps) return Refuse(o, "unsafe entry name '" + name + "' (absolute or with ..)");
    if (archive_entry_hardlink(e) != nullptr) {
      return Refuse(o, "hard link '" + name + "' is not accepted");
    }
    mode_t type = archive_entry_filetype(e);
    if (comps->empty()) {
      if (type == AE_IFDIR) continue;  // "./" itself
      return Refuse(o, "entry '" + name + "' has no name");
    }
    size_t depth = type == AE_IFDIR ? comps->size() : comps->size() - 1;
    auto parent = OpenParent(*comps, depth);
    if (!parent.ok()) {
      bool full = parent.status().code() == Status::Code::kResourceExhausted;
      return Refuse(o, "entry '" + name + "': " + parent.status().message(), full);
    }
    std::string path;
    for (size_t i = 0; i < depth; ++i) {
      path += (i ? "/" : "") + (*comps)[i];
      tree.try_emplace(path, TreeNode{NodeType::kDirectory, ""});
    }
    if (type == AE_IFDIR) continue;
    const std::string& base = comps->back();
    path += (path.empty() ? "" : "/") + base;
    if (type == AE_IFLNK) {
      if (limits.links == LinkPolicy::kRefuse) {
        return Refuse(o, "symlink '" + name + "': this module accepts no links");
      }
      const char* target = archive_entry_symlink(e);
      if (target == nullptr || *target == '\0') {
        return Refuse(o, "symlink '" + name + "' has no target");
      }
      if (std::strlen(target) > limits.max_name_bytes) {
        return Refuse(o, "symlink '" + name + "': its target is longer than " +
                             std::to_string(limits.max_name_bytes) + " bytes");
      }
      if (target[0] == '/') {
        return Refuse(o, "symlink '" + name + "' points outside the submission: absolute target");
      }
      if (::symlinkat(target, parent->get(), base.c_str()) != 0) {
        return Refuse(o, "symlink '" + name + "': " + std::strerror(errno));
      }
      tree[path] = TreeNode{NodeType::kSymlink, target};
      continue;
    }
    if (type != AE_IFREG) {
      return Refuse(o, "entry '" + name + "' is a device, FIFO or socket");
    }
    mode_t mode = (archive_entry_perm(e) & 0755) | 0600;
    UniqueFd out(::openat(parent->get(), base.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!out.valid()) return Refuse(o, "cannot create '" + name + "': " + std::strerror(errno));
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) return Refuse(o, std::string("corrupt data: ") + archive_error_string(a.get()));
      o.bytes += static_cast<uint64_t>(n);
      if (o.bytes > limits.max_bytes) {
        return Refuse(
            o, "more than " + std::to_string(limits.max_bytes >> 20) + " MiB after decompression",
            true);
      }
      Status w = WriteAll(out.get(), buf.data(), static_cast<size_t>(n));
      if (!w.ok()) return Refuse(o, "cannot write '" + name + "': " + w.message(), true);
    }
    tree[path] = TreeNode{NodeType::kFile, ""};
  }
  // Links are checked against the final tree: a link may go through one that comes later.
  if (Status links = CheckLinksInside(tree); !links.ok()) return Refuse(o, links.message());
  o.ok = true;
  return o;
}

}  // namespace oj::runner
