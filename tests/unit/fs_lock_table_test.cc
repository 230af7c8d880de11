// Unit tests of fs::LockTable: flock and record-lock semantics, waiting, arming, cancelling,
// release on close and shutdown. Exact outcomes throughout.
#include <catch2/catch.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fs/lock_table.h"

using csvfs::fs::kToEof;
using csvfs::fs::LockKind;
using csvfs::fs::LockOutcome;
using csvfs::fs::LockTable;
using csvfs::fs::RangeLock;

namespace {

RangeLock R(LockKind k, uint64_t owner, int64_t start, int64_t end, uint32_t pid = 0) {
  return RangeLock{k, owner, pid == 0 ? uint32_t(owner) + 100 : pid, start, end};
}

// Records each delivered result.
struct Results {
  std::vector<int> got;
  LockTable::Done Sink() {
    return [this](int err) { got.push_back(err); };
  }
};

constexpr LockKind kRd = LockKind::kRead;
constexpr LockKind kWr = LockKind::kWrite;
constexpr LockKind kUn = LockKind::kUnlock;

}  // namespace

TEST_CASE("flock: shared locks coexist, exclusive excludes", "[fs][locks]") {
  LockTable t;
  CHECK(t.Flock("t.csv", 1, 11, kRd, false, nullptr).err == 0);
  CHECK(t.Flock("t.csv", 2, 12, kRd, false, nullptr).err == 0);
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == EWOULDBLOCK);
  // Another file is independent.
  CHECK(t.Flock("rows/1", 3, 13, kWr, false, nullptr).err == 0);
  CHECK(t.Flock("rows/1", 1, 11, kRd, false, nullptr).err == EWOULDBLOCK);
  CHECK(t.Flock("t.csv", 1, 11, kUn, false, nullptr).err == 0);
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == EWOULDBLOCK);  // 2 still shares
  CHECK(t.Flock("t.csv", 2, 12, kUn, false, nullptr).err == 0);
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == 0);
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == 0);  // held again: no-op
  CHECK(t.Flock("t.csv", 4, 14, kRd, false, nullptr).err == EWOULDBLOCK);
  t.ReleaseFlock("t.csv", 3);
  t.ReleaseFlock("rows/1", 3);
  CHECK(t.files() == 0);
  CHECK(t.Flock("t.csv", 4, 14, kRd, false, nullptr).err == 0);
}

TEST_CASE("flock: a blocked request is granted in order when the holder unlocks", "[fs][locks]") {
  LockTable t;
  Results a, b;
  REQUIRE(t.Flock("t.csv", 1, 11, kWr, false, nullptr).err == 0);
  LockOutcome wa = t.Flock("t.csv", 2, 12, kWr, true, a.Sink());
  LockOutcome wb = t.Flock("t.csv", 3, 13, kRd, true, b.Sink());
  REQUIRE(wa.waiting());
  REQUIRE(wb.waiting());
  t.Arm(wa.waiter);
  t.Arm(wb.waiter);
  CHECK(a.got.empty());
  CHECK(t.waiters() == 2);
  t.Flock("t.csv", 1, 11, kUn, false, nullptr);
  CHECK(a.got == std::vector<int>{0});  // first come, first served
  CHECK(b.got.empty());                 // 2 now holds it exclusively
  t.ReleaseFlock("t.csv", 2);           // last close of 2's open file
  CHECK(b.got == std::vector<int>{0});
  CHECK(t.waiters() == 0);
  CHECK(t.Flock("t.csv", 4, 14, kWr, false, nullptr).err == EWOULDBLOCK);
}

TEST_CASE("flock: converting drops the old lock first, as flock(2) does", "[fs][locks]") {
  LockTable t;
  Results w;
  REQUIRE(t.Flock("t.csv", 1, 11, kRd, false, nullptr).err == 0);
  REQUIRE(t.Flock("t.csv", 2, 12, kRd, false, nullptr).err == 0);
  LockOutcome up = t.Flock("t.csv", 1, 11, kWr, false, nullptr);
  CHECK(up.err == EWOULDBLOCK);
  // The failed upgrade left 1 without its shared lock, so 2 can upgrade.
  CHECK(t.Flock("t.csv", 2, 12, kWr, false, nullptr).err == 0);
  LockOutcome wait = t.Flock("t.csv", 1, 11, kRd, true, w.Sink());
  REQUIRE(wait.waiting());
  t.Arm(wait.waiter);
  CHECK(t.Flock("t.csv", 2, 12, kRd, false, nullptr).err == 0);  // downgrade wakes 1
  CHECK(w.got == std::vector<int>{0});
}

TEST_CASE("record locks: conflicts by kind, owner and overlap", "[fs][locks]") {
  LockTable t;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 9), false, nullptr).err == 0);
  CHECK(t.SetRange("f", R(kRd, 2, 9, 20), false, nullptr).err == EAGAIN);
  CHECK(t.SetRange("f", R(kRd, 2, 10, 20), false, nullptr).err == 0);
  CHECK(t.SetRange("f", R(kRd, 3, 15, kToEof), false, nullptr).err == 0);  // read + read
  CHECK(t.SetRange("f", R(kWr, 1, 5, 12), false, nullptr).err == EAGAIN);  // 2 reads 10..12
  CHECK(t.SetRange("f", R(kWr, 1, 5, 9), false, nullptr).err == 0);        // own lock: fine
  // Test reports the conflicting lock with its pid.
  RangeLock c = t.Test("f", R(kWr, 4, 12, 12));
  CHECK(c == R(kRd, 2, 10, 20));
  c = t.Test("f", R(kRd, 4, 0, 0));
  CHECK(c == R(kWr, 1, 0, 9));
  c = t.Test("f", R(kRd, 4, 10, 100));
  CHECK(c.kind == kUn);
  CHECK(c.start == 10);
  CHECK(c.end == 100);
  CHECK(t.Test("f", R(kWr, 1, 0, 9)).kind == kUn);  // one's own locks never conflict
  CHECK(t.SetRange("f", R(kWr, 1, 5, 3), false, nullptr).err == EINVAL);
  CHECK(t.SetRange("f", R(kWr, 1, -1, 3), false, nullptr).err == EINVAL);
}

TEST_CASE("record locks: unlocking the middle splits, same kinds merge", "[fs][locks]") {
  LockTable t;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 99), false, nullptr).err == 0);
  REQUIRE(t.SetRange("f", R(kUn, 1, 40, 59), false, nullptr).err == 0);
  CHECK(t.RangesOf("f") == std::vector<RangeLock>{R(kWr, 1, 0, 39), R(kWr, 1, 60, 99)});
  CHECK(t.SetRange("f", R(kWr, 2, 40, 59), false, nullptr).err == 0);  // the hole is free
  CHECK(t.SetRange("f", R(kUn, 2, 0, kToEof), false, nullptr).err == 0);
  // Filling the hole with the same kind merges into one range.
  REQUIRE(t.SetRange("f", R(kWr, 1, 40, 59), false, nullptr).err == 0);
  CHECK(t.RangesOf("f") == std::vector<RangeLock>{R(kWr, 1, 0, 99)});
  // A read lock in the middle splits the write lock in three.
  REQUIRE(t.SetRange("f", R(kRd, 1, 10, 19), false, nullptr).err == 0);
  CHECK(t.RangesOf("f") ==
        std::vector<RangeLock>{R(kWr, 1, 0, 9), R(kRd, 1, 10, 19), R(kWr, 1, 20, 99)});
  CHECK(t.SetRange("f", R(kRd, 2, 12, 15), false, nullptr).err == 0);
  CHECK(t.SetRange("f", R(kRd, 2, 19, 20), false, nullptr).err == EAGAIN);
  // Adjacent read locks merge; an overlapping one extends.
  REQUIRE(t.SetRange("f", R(kRd, 1, 20, 29), false, nullptr).err == 0);
  CHECK(t.RangesOf("f") == std::vector<RangeLock>{R(kWr, 1, 0, 9), R(kRd, 1, 10, 29),
                                                  R(kWr, 1, 30, 99), R(kRd, 2, 12, 15)});
  // To-EOF locks: unlocking a tail leaves the head; a lock up to kToEof never overflows.
  REQUIRE(t.SetRange("f", R(kWr, 3, 200, kToEof), false, nullptr).err == 0);
  REQUIRE(t.SetRange("f", R(kUn, 3, 300, kToEof), false, nullptr).err == 0);
  REQUIRE(t.SetRange("f", R(kWr, 3, 100, 199), false, nullptr).err == 0);
  CHECK(t.Test("f", R(kRd, 9, 100, kToEof)) == R(kWr, 3, 100, 299));
  CHECK(t.Test("f", R(kRd, 9, 300, kToEof)).kind == kUn);
}

TEST_CASE("record locks: a waiter is granted when the range frees, not before", "[fs][locks]") {
  LockTable t;
  Results w;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 99), false, nullptr).err == 0);
  LockOutcome o = t.SetRange("f", R(kWr, 2, 50, 59), true, w.Sink());
  REQUIRE(o.waiting());
  t.Arm(o.waiter);
  t.SetRange("f", R(kUn, 1, 0, 49), false, nullptr);  // not the part it needs
  CHECK(w.got.empty());
  t.SetRange("f", R(kRd, 1, 50, 99), false, nullptr);  // a downgrade: still conflicts
  CHECK(w.got.empty());
  t.SetRange("f", R(kUn, 1, 55, 55), false, nullptr);
  CHECK(w.got.empty());
  t.ReleasePosix("f", 1);  // close() by owner 1 drops all its record locks
  CHECK(w.got == std::vector<int>{0});
  CHECK(t.RangesOf("f") == std::vector<RangeLock>{R(kWr, 2, 50, 59)});
  CHECK(t.waiters() == 0);
}

TEST_CASE("record locks: readers waiting behind a writer are granted together", "[fs][locks]") {
  LockTable t;
  Results a, b, c;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, kToEof), false, nullptr).err == 0);
  LockOutcome oa = t.SetRange("f", R(kRd, 2, 0, 9), true, a.Sink());
  LockOutcome ob = t.SetRange("f", R(kRd, 3, 5, 9), true, b.Sink());
  LockOutcome oc = t.SetRange("f", R(kWr, 4, 8, 8), true, c.Sink());
  t.Arm(oa.waiter);
  t.Arm(ob.waiter);
  t.Arm(oc.waiter);
  t.SetRange("f", R(kUn, 1, 0, kToEof), false, nullptr);
  CHECK(a.got == std::vector<int>{0});
  CHECK(b.got == std::vector<int>{0});
  CHECK(c.got.empty());
  t.ReleasePosix("f", 2);
  CHECK(c.got.empty());
  t.ReleasePosix("f", 3);
  CHECK(c.got == std::vector<int>{0});
}

TEST_CASE("record locks: the last close of an open file drops the locks taken through it",
          "[fs][locks]") {
  LockTable t;
  Results w;
  RangeLock ofd = R(kWr, 7, 0, 9);
  ofd.via = 70;
  RangeLock other = R(kRd, 8, 20, 29);
  other.via = 80;
  REQUIRE(t.SetRange("f", ofd, false, nullptr).err == 0);
  REQUIRE(t.SetRange("f", other, false, nullptr).err == 0);
  LockOutcome o = t.SetRange("f", R(kWr, 9, 5, 5), true, w.Sink());
  t.Arm(o.waiter);
  t.ReleaseOpenFile("f", 80);
  CHECK(w.got.empty());
  t.ReleaseOpenFile("f", 0);   // no handle: nothing
  t.ReleaseOpenFile("g", 70);  // another file: nothing
  CHECK(w.got.empty());
  t.ReleaseOpenFile("f", 70);
  CHECK(w.got == std::vector<int>{0});
  CHECK(t.RangesOf("f") == std::vector<RangeLock>{R(kWr, 9, 5, 5)});
}

TEST_CASE("record locks: a wait that would deadlock fails with EDEADLK", "[fs][locks]") {
  LockTable t;
  Results w1, w2;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 0), false, nullptr).err == 0);
  REQUIRE(t.SetRange("g", R(kWr, 2, 0, 0), false, nullptr).err == 0);
  REQUIRE(t.SetRange("h", R(kWr, 3, 0, 0), false, nullptr).err == 0);
  LockOutcome a = t.SetRange("g", R(kWr, 1, 0, 0), true, w1.Sink());  // 1 waits for 2
  REQUIRE(a.waiting());
  t.Arm(a.waiter);
  LockOutcome b = t.SetRange("h", R(kRd, 2, 0, 0), true, w2.Sink());  // 2 waits for 3
  REQUIRE(b.waiting());
  t.Arm(b.waiter);
  CHECK(t.SetRange("f", R(kWr, 3, 0, 0), true, nullptr).err == EDEADLK);  // 3 -> 1 -> 2 -> 3
  CHECK(t.SetRange("f", R(kWr, 3, 0, 0), false, nullptr).err == EAGAIN);
  CHECK(t.SetRange("f", R(kWr, 4, 0, 0), true, nullptr).waiting());  // 4 closes no cycle
  CHECK(t.SetRange("f", R(kWr, 3, 1, 1), true, nullptr).err == 0);   // no conflict, no wait
  t.ReleasePosix("h", 3);
  CHECK(w2.got == std::vector<int>{0});
  t.ReleasePosix("g", 2);
  CHECK(w1.got == std::vector<int>{0});
}

TEST_CASE("locks: results are held back until Arm", "[fs][locks]") {
  LockTable t;
  Results w;
  REQUIRE(t.Flock("t.csv", 1, 11, kWr, false, nullptr).err == 0);
  LockOutcome o = t.Flock("t.csv", 2, 12, kWr, true, w.Sink());
  REQUIRE(o.waiting());
  t.ReleaseFlock("t.csv", 1);  // granted while the adapter still arms: not delivered yet
  CHECK(w.got.empty());
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == EWOULDBLOCK);  // but it holds it
  CHECK_FALSE(t.Cancel(o.waiter));  // already granted: an interrupt comes too late
  t.Arm(o.waiter);
  CHECK(w.got == std::vector<int>{0});
  t.Arm(o.waiter);  // unknown by now: nothing happens
  CHECK(w.got == std::vector<int>{0});
}

TEST_CASE("locks: an interrupted waiter gets EINTR once and takes nothing", "[fs][locks]") {
  LockTable t;
  Results armed, arming;
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 0), false, nullptr).err == 0);
  LockOutcome o1 = t.SetRange("f", R(kWr, 2, 0, 0), true, armed.Sink());
  t.Arm(o1.waiter);
  CHECK(t.Cancel(o1.waiter));
  CHECK(armed.got == std::vector<int>{EINTR});
  CHECK_FALSE(t.Cancel(o1.waiter));
  // Interrupted inside the arming window: delivered by Arm.
  LockOutcome o2 = t.Flock("t.csv", 3, 13, kWr, true, arming.Sink());
  REQUIRE(o2.err == 0);
  LockOutcome o3 = t.Flock("t.csv", 4, 14, kWr, true, arming.Sink());
  REQUIRE(o3.waiting());
  CHECK(t.Cancel(o3.waiter));
  CHECK(arming.got.empty());
  t.Arm(o3.waiter);
  CHECK(arming.got == std::vector<int>{EINTR});
  t.ReleasePosix("f", 1);
  CHECK(t.RangesOf("f").empty());  // the cancelled waiter took nothing
  CHECK(t.waiters() == 0);
}

TEST_CASE("locks: shutdown ends every waiter with the error and refuses new waits", "[fs][locks]") {
  LockTable t;
  Results a, b;
  REQUIRE(t.Flock("t.csv", 1, 11, kWr, false, nullptr).err == 0);
  REQUIRE(t.SetRange("f", R(kWr, 1, 0, 0), false, nullptr).err == 0);
  LockOutcome oa = t.Flock("t.csv", 2, 12, kWr, true, a.Sink());
  LockOutcome ob = t.SetRange("f", R(kRd, 2, 0, 0), true, b.Sink());
  t.Arm(oa.waiter);
  t.Shutdown(EIO);
  CHECK(a.got == std::vector<int>{EIO});
  CHECK(b.got.empty());  // not armed yet
  t.Arm(ob.waiter);
  CHECK(b.got == std::vector<int>{EIO});
  CHECK(t.Flock("t.csv", 3, 13, kWr, true, a.Sink()).err == EIO);
  CHECK(t.Flock("t.csv", 3, 13, kWr, false, nullptr).err == EWOULDBLOCK);
  CHECK(t.waiters() == 0);
}

TEST_CASE("locks: threads counting under an exclusive flock never lose an update", "[fs][locks]") {
  LockTable t;
  int counter = 0;  // guarded by the flock on "c"
  auto worker = [&](uint64_t owner) {
    for (int i = 0; i < 200; ++i) {
      std::mutex m;
      std::condition_variable cv;
      bool granted = false;
      LockOutcome o = t.Flock("c", owner, 1, kWr, true, [&](int err) {
        std::lock_guard<std::mutex> l(m);
        granted = err == 0;
        cv.notify_one();
      });
      if (o.waiting()) {
        t.Arm(o.waiter);
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return granted; });
      } else {
        REQUIRE(o.err == 0);
      }
      int v = counter;
      std::this_thread::yield();
      counter = v + 1;
      t.Flock("c", owner, 1, kUn, false, nullptr);
    }
  };
  std::vector<std::thread> threads;
  for (uint64_t o = 1; o <= 4; ++o) threads.emplace_back(worker, o);
  for (auto& th : threads) th.join();
  CHECK(counter == 800);
  CHECK(t.files() == 0);
  CHECK(t.waiters() == 0);
}
