#include "fs/scratch_store.h"

namespace csvfs::fs {

void ScratchFile::TouchAll() {
  clock_gettime(CLOCK_REALTIME, &mtime);
  atime = mtime;
  ctime = mtime;
}

void ScratchFile::TouchModified() {
  clock_gettime(CLOCK_REALTIME, &mtime);
  ctime = mtime;
}

std::shared_ptr<ScratchFile> ScratchStore::Find(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : it->second;
}

std::shared_ptr<ScratchFile> ScratchStore::Put(const std::string& name,
                                               std::shared_ptr<ScratchFile> file) {
  std::shared_ptr<ScratchFile> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto& slot = files_[name];
    old = std::move(slot);
    slot = std::move(file);
  }
  if (old) {
    std::lock_guard<std::mutex> fl(old->mu);
    old->unlinked = true;
  }
  return old;
}

bool ScratchStore::PutIfAbsent(const std::string& name, std::shared_ptr<ScratchFile> file) {
  std::lock_guard<std::mutex> l(mu_);
  return files_.emplace(name, std::move(file)).second;
}

std::shared_ptr<ScratchFile> ScratchStore::Remove(const std::string& name) {
  std::shared_ptr<ScratchFile> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(name);
    if (it == files_.end()) return nullptr;
    old = std::move(it->second);
    files_.erase(it);
  }
  std::lock_guard<std::mutex> fl(old->mu);
  old->unlinked = true;
  return old;
}

ScratchStore::RenameOutcome ScratchStore::Rename(const std::string& from, const std::string& to,
                                                 bool noreplace) {
  std::shared_ptr<ScratchFile> replaced;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return RenameOutcome::kNotFound;
    if (from == to) return RenameOutcome::kOk;
    auto dst = files_.find(to);
    if (dst != files_.end()) {
      if (noreplace) return RenameOutcome::kExists;
      replaced = std::move(dst->second);
      files_.erase(dst);
    }
    auto file = std::move(it->second);
    files_.erase(it);
    files_.emplace(to, std::move(file));
  }
  if (replaced) {
    std::lock_guard<std::mutex> fl(replaced->mu);
    replaced->unlinked = true;
  }
  return RenameOutcome::kOk;
}

std::vector<std::string> ScratchStore::Names() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  out.reserve(files_.size());
  for (const auto& [name, file] : files_) out.push_back(name);
  return out;
}

size_t ScratchStore::count() const {
  std::lock_guard<std::mutex> l(mu_);
  return files_.size();
}

}  // namespace csvfs::fs
