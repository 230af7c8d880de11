// Unit tests of fs/process_id: requests from any thread of a process map to that process.
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "fs/process_id.h"

using csvfs::fs::ParseTgid;
using csvfs::fs::ProcessIds;

TEST_CASE("fs: process ids: ppid and start time of /proc/PID/stat", "[fs]") {
  csvfs::fs::ProcStat st;
  REQUIRE(csvfs::fs::ParseProcStat(
      "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1 2 3", &st));
  CHECK(st.ppid == 17);
  CHECK(st.start_time == 987654);
  CHECK_FALSE(csvfs::fs::ParseProcStat("4242 (x) S 17 1 2", &st));  // too short
  CHECK_FALSE(csvfs::fs::ParseProcStat("no parenthesis", &st));
  CHECK(csvfs::fs::ProcessStartTime(static_cast<uint32_t>(getpid())) != 0);
  CHECK(csvfs::fs::IsAncestor(static_cast<uint32_t>(getppid()), static_cast<uint32_t>(getpid())));
  CHECK(csvfs::fs::IsAncestor(1, static_cast<uint32_t>(getpid())) == (getpid() != 1));
  CHECK_FALSE(
      csvfs::fs::IsAncestor(static_cast<uint32_t>(getpid()), static_cast<uint32_t>(getppid())));
}

TEST_CASE("fs: process ids: the Tgid line of /proc/PID/status", "[fs]") {
  CHECK(ParseTgid("Name:\tmlr\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n"
                  "Pid:\t4250\n") == 4242);
  CHECK(ParseTgid("Tgid:\t7\n") == 7);
  CHECK(ParseTgid("Name:\tx\nPid:\t5\n") == 0);        // no Tgid line
  CHECK(ParseTgid("Name:\tx\nTgid:\tabc\n") == 0);     // not a number
  CHECK(ParseTgid("Name:\tx\nTgid:\t\n") == 0);        // empty
  CHECK(ParseTgid("Name:\tx\nTgid:\t99999999999\n") == 0);  // out of range
}

TEST_CASE("fs: process ids: another thread of this process maps to the process", "[fs]") {
  ProcessIds ids;
  const auto self = static_cast<uint32_t>(getpid());
  uint32_t tid = 0, mapped = 0;
  std::thread t([&] {
    tid = static_cast<uint32_t>(syscall(SYS_gettid));
    mapped = ids.Of(tid);  // while the thread is alive
  });
  t.join();
  REQUIRE(tid != 0);
  CHECK(tid != self);
  CHECK(mapped == self);
  CHECK(ids.Of(tid) == self);  // cached
  CHECK(ids.Of(self) == self);
  CHECK(ids.Of(0) == 0);
}
