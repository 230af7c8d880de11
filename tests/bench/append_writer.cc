// append_writer: the appending clients of csvfs's benchmarks (tests/bench/run_bench.py).
//
//   append_writer PATH MODE ROWS [--writers N] [--pause-us U] [--duration-s S] [--tag T]
//                 [--samples FILE] [--stop-file FILE] [--fields F]
//
// Forks N writer processes (default 1) that wait on a pipe, starts them all at once, and has each
// append ROWS rows of 60 bytes (newline included) to PATH in MODE:
//   per-row-open-close  open(O_WRONLY|O_APPEND), write one row, close   (csvfs sync=close: durable
//                       when close returns)
//   keep-open           open once, one write() per row, close at the end
//   fdatasync           open(O_APPEND), write, fdatasync, close, per row
//   flock               open once; per row: flock(LOCK_EX), write, fdatasync, flock(LOCK_UN)
//   sqlite              PATH is an SQLite database (WAL, synchronous=FULL); per row one
//                       BEGIN IMMEDIATE; INSERT; COMMIT (busy_timeout 30 s)
// Each row is "<writer>,<seq>,<payload>\n" (3 fields; with --fields F >= 3, F fields: "x" ones
// before the payload, still 60 bytes; the sqlite mode needs 3). With --pause-us a writer sleeps U µs
// between rows; with --duration-s it stops after S seconds even if ROWS were not written, and with
// --stop-file as soon as FILE exists (checked between rows, outside the timed part).
//
// Prints one line:  rows=R writers=N elapsed_s=E rows_per_s=X p50_us=.. p99_us=.. max_us=..
// where elapsed runs from the start signal until the last writer exited, and the percentiles are
// over the per-row latencies (the whole open..close / write / transaction of one row) of all
// writers. --samples FILE also writes one line per row: "START_NS LATENCY_NS" (CLOCK_MONOTONIC,
// the clock of Python's time.monotonic_ns()). Exit status is non-zero if any writer failed (the failing call is printed).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifdef BENCH_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace {

constexpr size_t kRowBytes = 60;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

[[noreturn]] void Die(const char* what, const std::string& path) {
  std::fprintf(stderr, "append_writer: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  _exit(1);
}

// "<writer>,<seq>,[x,...]<payload>\n" with `fields` fields, exactly kRowBytes long.
std::string MakeRow(int writer, uint64_t seq, int fields) {
  char head[48];
  int n = std::snprintf(head, sizeof head, "%d,%llu,", writer, (unsigned long long)seq);
  std::string row(head, size_t(n));
  for (int f = 3; f < fields; ++f) row += "x,";
  row.append(kRowBytes - 1 - row.size(), 'x');
  row.push_back('\n');
  return row;
}

void WriteAll(int fd, std::string_view s, const std::string& path) {
  while (!s.empty()) {
    ssize_t w = write(fd, s.data(), s.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      Die("write", path);
    }
    s.remove_prefix(size_t(w));
  }
}

struct Config {
  std::string path;
  std::string mode;
  uint64_t rows = 0;
  int writers = 1;
  uint64_t pause_us = 0;
  double duration_s = 0;
  int tag = 0;
  std::string samples;
  std::string stop_file;
  int fields = 3;
};

// Latency slots shared with the parent: writers * rows entries; UINT64_MAX = row not written.
struct Shared {
  uint64_t* lat = nullptr;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void Append(const std::string& row) = 0;
};

class PerRowOpenClose : public RowSink {
 public:
  explicit PerRowOpenClose(std::string path, bool sync) : path_(std::move(path)), sync_(sync) {}
  void Append(const std::string& row) override {
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) Die("open", path_);
    WriteAll(fd, row, path_);
    if (sync_ && fdatasync(fd) != 0) Die("fdatasync", path_);
    if (close(fd) != 0) Die("close", path_);
  }

 private:
  std::string path_;
  bool sync_;
};

class KeepOpen : public RowSink {
 public:
  KeepOpen(std::string path, bool lock) : path_(std::move(path)), lock_(lock) {
    fd_ = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) Die("open", path_);
  }
  ~KeepOpen() override {
    if (close(fd_) != 0) Die("close", path_);
  }
  void Append(const std::string& row) override {
    if (lock_ && flock(fd_, LOCK_EX) != 0) Die("flock", path_);
    WriteAll(fd_, row, path_);
    if (lock_) {
      if (fdatasync(fd_) != 0) Die("fdatasync", path_);
      if (flock(fd_, LOCK_UN) != 0) Die("flock(LOCK_UN)", path_);
    }
  }

 private:
  std::string path_;
  bool lock_;
  int fd_ = -1;
};

#ifdef BENCH_HAVE_SQLITE
class SqliteSink : public RowSink {
 public:
  explicit SqliteSink(const std::string& path) : path_(path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Fail("open");
    sqlite3_busy_timeout(db_, 30000);
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=FULL");
    if (sqlite3_prepare_v2(db_, "INSERT INTO t(writer, seq, payload) VALUES (?1, ?2, ?3)", -1,
                           &insert_, nullptr) != SQLITE_OK)
      Fail("prepare");
  }
  ~SqliteSink() override {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  void Append(const std::string& row) override {
    // The row's three fields, as the CSV writers send them.
    size_t a = row.find(','), b = row.find(',', a + 1);
    Exec("BEGIN IMMEDIATE");
    sqlite3_bind_text(insert_, 1, row.data(), int(a), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 2, row.data() + a + 1, int(b - a - 1), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 3, row.data() + b + 1, int(row.size() - b - 2), SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) Fail("insert");
    sqlite3_reset(insert_);
    Exec("COMMIT");
  }

 private:
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "append_writer: sqlite %s: %s: %s\n", path_.c_str(), sql,
                   err ? err : "?");
      _exit(1);
    }
  }
  [[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "append_writer: sqlite %s %s: %s\n", what, path_.c_str(),
                 sqlite3_errmsg(db_));
    _exit(1);
  }
  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};
#endif

RowSink* MakeSink(const Config& c) {
  if (c.mode == "per-row-open-close") return new PerRowOpenClose(c.path, false);
  if (c.mode == "fdatasync") return new PerRowOpenClose(c.path, true);
  if (c.mode == "keep-open") return new KeepOpen(c.path, false);
  if (c.mode == "flock") return new KeepOpen(c.path, true);
#ifdef BENCH_HAVE_SQLITE
  if (c.mode == "sqlite") return new SqliteSink(c.path);
#endif
  std::fprintf(stderr, "append_writer: unknown or unsupported mode '%s'\n", c.mode.c_str());
  _exit(2);
}

void RunWriter(const Config& c, int index, int go_fd, uint64_t* lat, uint64_t* start) {
  char b;
  if (read(go_fd, &b, 1) < 0) Die("read", "start pipe");  // EOF = go
  close(go_fd);
  RowSink* sink = MakeSink(c);
  const int writer = c.tag * 1000 + index;
  const uint64_t deadline = c.duration_s > 0 ? NowNs() + uint64_t(c.duration_s * 1e9) : 0;
  for (uint64_t i = 0; i < c.rows; ++i) {
    std::string row = MakeRow(writer, i, c.fields);
    uint64_t t0 = NowNs();
    sink->Append(row);
    uint64_t t1 = NowNs();
    lat[i] = t1 - t0;
    start[i] = t0;
    if (deadline && t1 >= deadline) break;
    if (!c.stop_file.empty() && access(c.stop_file.c_str(), F_OK) == 0) break;
    if (c.pause_us) usleep(useconds_t(c.pause_us));
  }
  delete sink;
  _exit(0);
}

bool ParseArgs(int argc, char** argv, Config* c) {
  if (argc < 4) return false;
  c->path = argv[1];
  c->mode = argv[2];
  c->rows = std::strtoull(argv[3], nullptr, 10);
  for (int i = 4; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--writers") c->writers = std::atoi(v);
    else if (k == "--pause-us") c->pause_us = std::strtoull(v, nullptr, 10);
    else if (k == "--duration-s") c->duration_s = std::atof(v);
    else if (k == "--tag") c->tag = std::atoi(v);
    else if (k == "--samples") c->samples = v;
    else if (k == "--stop-file") c->stop_file = v;
    else if (k == "--fields") c->fields = std::atoi(v);
    else return false;
  }
  return (argc - 4) % 2 == 0 && c->rows > 0 && c->writers > 0 && c->fields >= 3 &&
         c->fields <= 20 && (c->fields == 3 || c->mode != "sqlite");
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  if (!ParseArgs(argc, argv, &c)) {
    std::fprintf(stderr,
                 "usage: append_writer PATH per-row-open-close|keep-open|fdatasync|flock|sqlite "
                 "ROWS [--writers N] [--pause-us U] [--duration-s S] [--tag T] [--samples FILE] "
                 "[--stop-file FILE] [--fields F]\n");
    return 2;
  }
  const size_t slots = size_t(c.writers) * c.rows;
  void* mem = mmap(nullptr, 2 * slots * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) Die("mmap", "latencies");
  auto* lat = static_cast<uint64_t*>(mem);
  uint64_t* start = lat + slots;
  std::fill(lat, lat + slots, UINT64_MAX);

  int go[2];
  if (pipe(go) != 0) Die("pipe", "start");
  std::vector<pid_t> kids;
  for (int w = 0; w < c.writers; ++w) {
    pid_t pid = fork();
    if (pid < 0) Die("fork", "writer");
    if (pid == 0) {
      close(go[1]);
      RunWriter(c, w, go[0], lat + size_t(w) * c.rows, start + size_t(w) * c.rows);
    }
    kids.push_back(pid);
  }
  close(go[0]);
  usleep(20000);  // let every child reach its read() on the pipe
  const uint64_t t0 = NowNs();
  close(go[1]);
  int failed = 0;
  for (pid_t pid : kids) {
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) ++failed;
  }
  const double elapsed = double(NowNs() - t0) / 1e9;

  std::vector<uint64_t> done;
  for (size_t i = 0; i < slots; ++i)
    if (lat[i] != UINT64_MAX) done.push_back(lat[i]);
  if (!c.samples.empty()) {
    FILE* f = std::fopen(c.samples.c_str(), "w");
    if (f == nullptr) Die("fopen", c.samples);
    for (size_t i = 0; i < slots; ++i)
      if (lat[i] != UINT64_MAX)
        std::fprintf(f, "%llu %llu\n", (unsigned long long)start[i], (unsigned long long)lat[i]);
    if (std::fclose(f) != 0) Die("fclose", c.samples);
  }
  std::sort(done.begin(), done.end());
  auto pct = [&](double p) -> double {
    if (done.empty()) return 0;
    size_t i = std::min(done.size() - 1, size_t(p * double(done.size() - 1) + 0.5));
    return double(done[i]) / 1e3;
  };
  std::printf("rows=%zu writers=%d elapsed_s=%.6f rows_per_s=%.1f p50_us=%.1f p99_us=%.1f "
              "max_us=%.1f\n",
              done.size(), c.writers, elapsed, elapsed > 0 ? double(done.size()) / elapsed : 0.0,
              pct(0.50), pct(0.99), done.empty() ? 0.0 : double(done.back()) / 1e3);
  if (failed) std::fprintf(stderr, "append_writer: %d writer(s) failed\n", failed);
  return failed ? 1 : 0;
}
