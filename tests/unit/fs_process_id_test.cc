// Unit tests of fs/process_id: requests from any thread of a process map to that process.
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "fs/process_id.h"

using csvfs::fs::ParseTgid;
using csvfs::fs::ProcessIds;

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
