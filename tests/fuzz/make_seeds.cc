// Writes the journal seed of fuzz_journal: a valid 3-frame journal (a JournalBase frame, a
// kChange op and a kRewrite op) encoded by core/ itself. Run once; the output is committed
// under corpus/fuzz_journal/. Build: cmake --build build-fuzz --target fuzz_make_seeds.
#include <cstdio>
#include <string>

#include "core/journal.h"
#include "core/op.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT\n", argv[0]);
    return 2;
  }
  using csvfs::core::Op;
  csvfs::core::JournalBase base;
  base.backing_size = 12;
  base.backing_crc = csvfs::core::Crc32c("h\na\nb\nc\n");
  base.next_id = 4;
  base.number = 1;
  base.id_runs = {{1, 3}};
  Op change;
  change.lsn = 1;
  change.time_ns = 1700000000000000000;
  change.deletes = {"2"};
  change.updates = {{"1", "A\n"}};
  change.appends = {{"4", "\"x,\"\"y\"\"\"\n"}};
  Op rewrite;
  rewrite.type = Op::Type::kRewrite;
  rewrite.lsn = 2;
  rewrite.time_ns = change.time_ns + 1;
  rewrite.set_header = true;
  rewrite.header = "h\r\n";
  rewrite.entries = {{true, "3", ""}, {false, "5", "new\r\n"}, {true, "1", ""}};
  std::string journal;
  for (const std::string& p : {base.Encode(), change.Encode(), rewrite.Encode()}) {
    if (!csvfs::core::AppendJournalFrame(p, &journal).ok()) return 1;
  }
  FILE* f = std::fopen(argv[1], "wb");
  if (f == nullptr || std::fwrite(journal.data(), 1, journal.size(), f) != journal.size() ||
      std::fclose(f) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  return 0;
}
