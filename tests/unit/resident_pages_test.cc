// core/resident_pages: reading a registered file mapping past the budget drops its pages from
// the process's RSS (never its content), and touches nothing that was not registered.
// Measured by the mapping's Rss in /proc/self/smaps, never by time.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/resident_pages.h"

namespace {

// Resident kB of the mapping that starts at `addr`, from /proc/self/smaps.
long RssKbOf(const void* addr) {
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(addr));
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool in_it = false;
  while (std::getline(in, line)) {
    if (line.find('-') != std::string::npos && line.find(' ') != std::string::npos &&
        std::isxdigit(static_cast<unsigned char>(line[0])) && line.find(':') > line.find(' ')) {
      in_it = line.rfind(start, 0) == 0;
      continue;
    }
    if (in_it && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

}  // namespace

TEST_CASE("resident pages: a registered mapping read past the budget leaves the RSS, keeps its bytes") {
  char path[] = "/tmp/csvfs-resident-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  const size_t size = size_t{8} << 20;
  std::string data(size, 'x');
  for (size_t i = 0; i < size; i += 4096) data[i] = char('a' + (i / 4096) % 26);
  REQUIRE(write(fd, data.data(), size) == ssize_t(size));
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  REQUIRE(p != MAP_FAILED);
  close(fd);
  // A heap buffer that is never registered: must keep its content through every drop.
  std::vector<char> heap(size_t{1} << 20, 'h');

  csvfs::core::SetResidentBudget(size_t{4} << 20);
  csvfs::core::RegisterMapping(p, size);
  const char* bytes = static_cast<const char*>(p);
  long sum = 0;
  for (size_t i = 0; i < size; i += 4096) sum += bytes[i];
  CHECK(RssKbOf(p) >= long(size / 1024) - 64);  // all touched pages are resident
  csvfs::core::NoteMappedRead(size_t{3} << 20);  // under the budget: nothing dropped
  CHECK(RssKbOf(p) >= long(size / 1024) - 64);
  csvfs::core::NoteMappedRead(size_t{2} << 20);  // past it: dropped
  CHECK(RssKbOf(p) < 256);
  CHECK(std::string(bytes, size) == data);       // faulted back in, byte for byte
  CHECK(heap == std::vector<char>(size_t{1} << 20, 'h'));
  csvfs::core::UnregisterMapping(p);
  for (size_t i = 0; i < size; i += 4096) sum += bytes[i];
  csvfs::core::DropMappedPages();  // no longer registered: left alone
  CHECK(RssKbOf(p) >= long(size / 1024) - 64);
  munmap(p, size);
  csvfs::core::SetResidentBudget(size_t{32} << 20);
  CHECK(sum > 0);
}
