#include "fs/lock_table.h"

#include <algorithm>
#include <cerrno>

namespace csvfs::fs {
namespace {

bool Overlaps(const RangeLock& a, const RangeLock& b) {
  return a.start <= b.end && b.start <= a.end;
}

// b starts right after a ends.
bool Follows(const RangeLock& a, const RangeLock& b) {
  return a.end != kToEof && a.end + 1 == b.start;
}

}  // namespace

bool LockTable::RangeConflicts(const FileLocks& f, const RangeLock& want,
                               const RangeLock** with) const {
  for (const RangeLock& l : f.ranges) {
    if (l.owner == want.owner || !Overlaps(l, want)) continue;
    if (l.kind != LockKind::kWrite && want.kind != LockKind::kWrite) continue;
    if (with != nullptr) *with = &l;
    return true;
  }
  return false;
}

bool LockTable::FlockConflicts(const FileLocks& f, uint64_t owner, bool exclusive) const {
  for (const auto& [o, h] : f.flocks) {
    if (o != owner && (exclusive || h.exclusive)) return true;
  }
  return false;
}

void LockTable::ApplyRange(FileLocks* f, const RangeLock& lock) {
  std::vector<RangeLock> out;
  out.reserve(f->ranges.size() + 2);
  for (const RangeLock& l : f->ranges) {
    if (l.owner != lock.owner || !Overlaps(l, lock)) {
      out.push_back(l);
      continue;
    }
    if (l.start < lock.start) {  // the part before the new range survives
      RangeLock left = l;
      left.end = lock.start - 1;
      out.push_back(left);
    }
    if (l.end > lock.end) {  // the part after it
      RangeLock right = l;
      right.start = lock.end + 1;
      out.push_back(right);
    }
  }
  if (lock.kind != LockKind::kUnlock) {
    RangeLock n = lock;
    for (auto it = out.begin(); it != out.end();) {
      if (it->owner == n.owner && it->kind == n.kind && (Follows(*it, n) || Follows(n, *it))) {
        n.start = std::min(n.start, it->start);
        n.end = std::max(n.end, it->end);
        it = out.erase(it);
      } else {
        ++it;
      }
    }
    out.push_back(n);
  }
  std::sort(out.begin(), out.end(), [](const RangeLock& a, const RangeLock& b) {
    return a.owner != b.owner ? a.owner < b.owner : a.start < b.start;
  });
  f->ranges = std::move(out);
}

void LockTable::BlockersOf(const std::string& file, const RangeLock& want,
                           std::vector<uint64_t>* out) const {
  auto it = files_.find(file);
  if (it == files_.end()) return;
  for (const RangeLock& l : it->second.ranges) {
    if (l.owner == want.owner || !Overlaps(l, want)) continue;
    if (l.kind == LockKind::kWrite || want.kind == LockKind::kWrite) out->push_back(l.owner);
  }
}

bool LockTable::WouldDeadlock(const std::string& file, const RangeLock& want) const {
  constexpr int kMaxDepth = 10;  // as Linux's MAX_DEADLK_ITERATIONS
  std::vector<uint64_t> owners;
  BlockersOf(file, want, &owners);
  for (int depth = 0; depth < kMaxDepth && !owners.empty(); ++depth) {
    std::vector<uint64_t> next;
    for (uint64_t owner : owners) {
      if (owner == want.owner) return true;
      for (const Waiter& w : waiters_) {
        if (!w.finished && !w.is_flock && w.lock.owner == owner) BlockersOf(w.file, w.lock, &next);
      }
    }
    owners = std::move(next);
  }
  return false;
}

RangeLock LockTable::Test(const std::string& file, const RangeLock& want) const {
  std::lock_guard<std::mutex> l(mu_);
  RangeLock none = want;
  none.kind = LockKind::kUnlock;
  auto it = files_.find(file);
  if (it == files_.end() || want.kind == LockKind::kUnlock) return none;
  const RangeLock* with = nullptr;
  if (!RangeConflicts(it->second, want, &with)) return none;
  return *with;
}

LockOutcome LockTable::Enqueue(const std::string& file, bool is_flock, const RangeLock& lock,
                               Done done) {
  if (shutdown_err_ != 0) return LockOutcome{shutdown_err_, 0};
  Waiter w;
  w.id = next_waiter_++;
  w.file = file;
  w.is_flock = is_flock;
  w.lock = lock;
  w.done = std::move(done);
  waiters_.push_back(std::move(w));
  return LockOutcome{0, waiters_.back().id};
}

LockOutcome LockTable::SetRange(const std::string& file, const RangeLock& lock, bool wait,
                                Done done) {
  if (lock.start < 0 || lock.end < lock.start) return LockOutcome{EINVAL, 0};
  Delivery out;
  LockOutcome result;
  {
    std::lock_guard<std::mutex> l(mu_);
    FileLocks& f = files_[file];
    if (lock.kind != LockKind::kUnlock && RangeConflicts(f, lock, nullptr)) {
      if (wait && WouldDeadlock(file, lock)) return LockOutcome{EDEADLK, 0};
      if (wait) return Enqueue(file, false, lock, std::move(done));
      Tidy(file);
      return LockOutcome{EAGAIN, 0};
    }
    ApplyRange(&f, lock);
    Wake(file, &out);  // an unlock, a downgrade or a shrink may let waiters in
    Tidy(file);
  }
  Deliver(&out);
  return result;
}

LockOutcome LockTable::Flock(const std::string& file, uint64_t owner, uint32_t pid, LockKind kind,
                             bool wait, Done done) {
  Delivery out;
  LockOutcome result;
  {
    std::lock_guard<std::mutex> l(mu_);
    FileLocks& f = files_[file];
    auto held = f.flocks.find(owner);
    const bool exclusive = kind == LockKind::kWrite;
    if (kind != LockKind::kUnlock && held != f.flocks.end() &&
        held->second.exclusive == exclusive) {
      return result;  // already held in this mode
    }
    if (held != f.flocks.end()) {  // LOCK_UN, or a conversion: the old lock goes first
      f.flocks.erase(held);
      Wake(file, &out);
    }
    if (kind != LockKind::kUnlock) {
      if (!FlockConflicts(f, owner, exclusive)) {
        f.flocks[owner] = FlockHolder{exclusive, pid};
      } else if (wait) {
        RangeLock w;
        w.kind = kind;
        w.owner = owner;
        w.pid = pid;
        result = Enqueue(file, true, w, std::move(done));
      } else {
        result.err = EWOULDBLOCK;
      }
    }
    Tidy(file);
  }
  Deliver(&out);
  return result;
}

std::list<LockTable::Waiter>::iterator LockTable::Finish(std::list<Waiter>::iterator it, int err,
                                                         Delivery* out) {
  it->finished = true;
  it->result = err;
  if (!it->armed) return std::next(it);  // Arm delivers it
  out->emplace_back(std::move(it->done), err);
  return waiters_.erase(it);
}

void LockTable::Wake(const std::string& file, Delivery* out) {
  // Granting only adds locks, which can only block later waiters: one pass in arrival order.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->finished || it->file != file) {
      ++it;
      continue;
    }
    FileLocks& f = files_[file];
    if (it->is_flock) {
      const bool exclusive = it->lock.kind == LockKind::kWrite;
      if (FlockConflicts(f, it->lock.owner, exclusive)) {
        ++it;
        continue;
      }
      f.flocks[it->lock.owner] = FlockHolder{exclusive, it->lock.pid};
    } else {
      if (RangeConflicts(f, it->lock, nullptr)) {
        ++it;
        continue;
      }
      ApplyRange(&f, it->lock);
    }
    it = Finish(it, 0, out);
  }
}

void LockTable::Tidy(const std::string& file) {
  auto it = files_.find(file);
  if (it != files_.end() && it->second.empty()) files_.erase(it);
}

void LockTable::Deliver(Delivery* out) {
  for (auto& [done, err] : *out) {
    if (done) done(err);
  }
  out->clear();
}

void LockTable::Arm(uint64_t waiter) {
  Delivery out;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->id != waiter) continue;
      it->armed = true;
      if (it->finished) {
        out.emplace_back(std::move(it->done), it->result);
        waiters_.erase(it);
      }
      break;
    }
  }
  Deliver(&out);
}

bool LockTable::Cancel(uint64_t waiter) {
  Delivery out;
  bool cancelled = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->id != waiter) continue;
      if (!it->finished) {
        Finish(it, EINTR, &out);
        cancelled = true;
      }
      break;
    }
  }
  Deliver(&out);
  return cancelled;
}

void LockTable::ReleasePosix(const std::string& file, uint64_t owner) {
  Delivery out;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto fit = files_.find(file);
    if (fit == files_.end()) return;
    auto& ranges = fit->second.ranges;
    const size_t before = ranges.size();
    std::erase_if(ranges, [&](const RangeLock& r) { return r.owner == owner; });
    if (ranges.size() == before) return;
    Wake(file, &out);
    Tidy(file);
  }
  Deliver(&out);
}

void LockTable::ReleaseOpenFile(const std::string& file, uint64_t via) {
  Delivery out;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto fit = files_.find(file);
    if (via == 0 || fit == files_.end()) return;
    auto& ranges = fit->second.ranges;
    const size_t before = ranges.size();
    std::erase_if(ranges, [&](const RangeLock& r) { return r.via == via; });
    if (ranges.size() == before) return;
    Wake(file, &out);
    Tidy(file);
  }
  Deliver(&out);
}

void LockTable::ReleaseFlock(const std::string& file, uint64_t owner) {
  Delivery out;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto fit = files_.find(file);
    if (fit == files_.end() || fit->second.flocks.erase(owner) == 0) return;
    Wake(file, &out);
    Tidy(file);
  }
  Deliver(&out);
}

void LockTable::Shutdown(int err) {
  Delivery out;
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_err_ = err;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      it = it->finished ? std::next(it) : Finish(it, err, &out);
    }
  }
  Deliver(&out);
}

std::vector<RangeLock> LockTable::RangesOf(const std::string& file) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(file);
  return it == files_.end() ? std::vector<RangeLock>{} : it->second.ranges;
}

size_t LockTable::waiters() const {
  std::lock_guard<std::mutex> l(mu_);
  return waiters_.size();
}

size_t LockTable::files() const {
  std::lock_guard<std::mutex> l(mu_);
  return files_.size();
}

}  // namespace csvfs::fs
