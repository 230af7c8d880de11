#include "fs/prepared_rewrites.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "fs/filesystem.h"

namespace csvfs::fs {

core::Snapshot RewriteBase(Filesystem& fs, uint32_t pid, SidecarNode* node) {
  core::Snapshot base = fs.pid_snapshots().Lookup(pid);
  if (base == nullptr && node != nullptr) {
    std::lock_guard<std::mutex> l(node->mu);
    base = node->writer_base;
  }
  if (base == nullptr) base = fs.Current();
  return base;
}

void PreparedRewrites::AfterWriterClose(Filesystem& fs, const std::shared_ptr<SidecarNode>& node,
                                        uint32_t pid) {
  if (node == nullptr || node->type != S_IFREG || !fs.has_engine() || fs.read_only()) return;
  UniqueFd file(open(node->ProcPath().c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return;
  struct stat st;
  if (fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kMinBytes || size > fs.max_image_bytes()) return;
  // Only what starts like the table: its header, byte for byte.
  const core::Snapshot cur = fs.Current();
  const std::string_view header = cur->header();
  if (header.empty() || header.size() > size) return;
  std::string head(header.size(), '\0');
  if (pread(file.get(), head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()) ||
      head != header) {
    return;
  }
  const core::Snapshot base = RewriteBase(fs, pid, node.get());
  uint64_t gen = 0;
  std::shared_ptr<core::PreparedRewrite> plan;
  {
    // As at the rename: no shrinking truncate while the file is mapped.
    std::lock_guard<std::mutex> l(node->mu);
    gen = node->write_gen;
    MappedFile map;
    if (map.Map(file.get(), size) != 0) return;
    plan = fs.engine().PrepareRewrite(base, map.view());
  }
  if (plan == nullptr) return;
  ++prepared_;
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = plans_.begin(); it != plans_.end(); ++it) {
    if (it->dev == st.st_dev && it->ino == st.st_ino) {
      plans_.erase(it);
      break;
    }
  }
  plans_.push_back(Plan{st.st_dev, st.st_ino, gen, size, base, std::move(plan)});
  while (plans_.size() > kMaxPlans) plans_.pop_front();
}

std::shared_ptr<core::PreparedRewrite> PreparedRewrites::Take(const struct stat& st, uint64_t gen,
                                                              const core::Snapshot& base) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = plans_.begin(); it != plans_.end(); ++it) {
    if (it->dev != st.st_dev || it->ino != st.st_ino) continue;
    Plan p = std::move(*it);
    plans_.erase(it);
    if (p.gen != gen || p.size != static_cast<uint64_t>(st.st_size) || p.base != base) return nullptr;
    ++used_;
    return std::move(p.plan);
  }
  return nullptr;
}

size_t PreparedRewrites::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return plans_.size();
}

}  // namespace csvfs::fs
