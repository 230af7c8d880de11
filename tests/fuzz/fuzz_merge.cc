// Fuzz target: the rewrite merge (Engine::Rewrite, core/merge.h) on an in-memory Engine.
//
// The input is a script (see fuzz_merge_script.h): a generated table; a snapshot `base`;
// changes by "others" (appends, deletes, row replacements); then the writer's image, made by
// editing base's rendering, committed with Rewrite(base, image). Invariants:
//   - Others' changes always succeed (they are valid).
//   - If Rewrite succeeds: every row others added after `base` is still there, with its id
//     and bytes (the writer's image never holds them); the table renders to valid CSV with a
//     consistent field count, agreeing with its rows, size and row count; with no concurrent
//     change, the result is the image itself.
//   - If Rewrite fails, the table is unchanged.
//   - Either way, recovering a copy of the files (BACKING + journal, as after a crash) and
//     reopening after a clean Close() both give back the same table and row ids.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/engine.h"
#include "core/env.h"
#include "spdlog/spdlog.h"
#include "tests/fuzz/fuzz_merge_script.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::core::Env;
using csvfs::core::RecordSpan;
using csvfs::core::RowRef;
using csvfs::core::ScanRecords;
using csvfs::core::Snapshot;
using csvfs::core::SyncMode;
using csvfs::core::Version;
using csvfs::fuzz::ByteReader;
using csvfs::fuzz::TableShape;

constexpr char kDir[] = "/d";
constexpr char kBacking[] = "/d/t.csv";
// BACKING and the journal files beside it (core/store.h).
constexpr const char* kFiles[] = {"t.csv", ".t.csv.csvfs-journal", ".t.csv.csvfs-journal.new"};

struct Instance {
  std::unique_ptr<Env> env;  // declared first: outlives the engine
  std::unique_ptr<Engine> engine;
};

void WriteFile(Env* env, const std::string& name, std::string_view content) {
  auto dir = env->OpenDirectory(kDir);
  FUZZ_CHECK(dir.ok());
  auto file = dir.value()->CreateExclusive(name);
  FUZZ_CHECK(file.ok());
  FUZZ_CHECK(file.value()->Append(content).ok() && file.value()->Close().ok());
}

std::unique_ptr<Engine> Open(Env* env, bool key_mode) {
  EngineOptions o;
  o.env = env;
  o.backing_path = kBacking;
  o.key_column = key_mode ? "k" : "";
  o.sync = SyncMode::kOff;
  o.start_threads = false;
  auto e = Engine::Open(o);
  if (!e.ok()) std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
  FUZZ_CHECK(e.ok());
  return std::move(e.value());
}

// A fresh Env holding copies of `from`'s files, as a crash would leave them, opened.
Instance Recover(Env* from, bool key_mode) {
  Instance copy{csvfs::core::NewMemEnv(), nullptr};
  auto dir = from->OpenDirectory(kDir);
  FUZZ_CHECK(dir.ok());
  for (const char* name : kFiles) {
    auto f = dir.value()->OpenReadOnly(name);
    if (f.ok()) WriteFile(copy.env.get(), name, f.value()->data());
  }
  copy.engine = Open(copy.env.get(), key_mode);
  return copy;
}

std::string Render(const Version& v) {
  std::string out(v.size(), '\0');
  out.resize(v.Read(0, out.data(), out.size()));
  return out;
}

// Row id -> bytes, in table order.
std::vector<std::pair<std::string, std::string>> Rows(const Version& v) {
  std::vector<std::pair<std::string, std::string>> rows;
  v.ForEachRow([&](std::string_view id, std::string_view bytes, RowRef) {
    rows.emplace_back(id, bytes);
    return true;
  });
  return rows;
}

// Others' changes after `base`; each must succeed.
void RunOthers(ByteReader* in, const TableShape& shape, Engine* e) {
  const int changes = in->Byte() % 5;
  for (int i = 0; i < changes; ++i) {
    const uint8_t op = in->Byte() % 4;
    auto rows = Rows(*e->Current());
    const std::string key = "o" + std::to_string(i);
    if (op == 0 || (op == 3 && !shape.key_mode)) {  // append one or two records
      std::string records = ReadRecord(in, shape, key + "a", shape.eol());
      if (in->Byte() & 1) records += ReadRecord(in, shape, key + "b", shape.eol());
      if (in->Byte() & 1) records.resize(records.size() - shape.eol().size());
      auto r = e->Append(records, 2);
      if (!r.ok()) std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
      FUZZ_CHECK(r.ok());
    } else if (op == 1 && !rows.empty()) {
      FUZZ_CHECK(e->DeleteRow(rows[in->Byte() % rows.size()].first, 3).ok());
    } else if (op == 2 && !rows.empty()) {  // replace a row (same key)
      const std::string& id = rows[in->Byte() % rows.size()].first;
      std::string record = ReadRecord(in, shape, id, (in->Byte() & 1) ? shape.eol() : "");
      if (record.empty()) record = shape.eol();  // "" is no record at all
      auto r = e->PutRow(id, record, false, false, 4);
      if (!r.ok()) std::fprintf(stderr, "put: %s\n", r.status().ToString().c_str());
      FUZZ_CHECK(r.ok());
    } else if (op == 3) {  // key mode: create a row by key
      FUZZ_CHECK(e->PutRow(key, ReadRecord(in, shape, key, shape.eol()), true, true, 5).ok());
    }
  }
}

// The table's rendering is valid CSV that agrees with its rows, size and row count.
void CheckConsistent(const Version& v) {
  const std::string text = Render(v);
  FUZZ_CHECK(text.size() == v.size());
  std::vector<RecordSpan> spans;
  FUZZ_CHECK(ScanRecords(text, &spans).ok());
  FUZZ_CHECK(!spans.empty());  // the header
  FUZZ_CHECK(spans.size() - 1 == v.row_count());
  for (const RecordSpan& s : spans) FUZZ_CHECK(s.fields == spans[0].fields);
  std::string joined(v.header());
  std::map<std::string, int> ids;
  for (const auto& [id, bytes] : Rows(v)) {
    FUZZ_CHECK(++ids[id] == 1);
    joined += bytes;
  }
  FUZZ_CHECK(joined == text);
}

// Recovery from a copy of the files and a clean reopen give back the same table.
void CheckDurable(Instance* live, bool key_mode) {
  const Snapshot v = live->engine->Current();
  const std::string text = Render(*v);
  const auto rows = Rows(*v);
  {
    Instance crashed = Recover(live->env.get(), key_mode);
    FUZZ_CHECK(Render(*crashed.engine->Current()) == text);
    FUZZ_CHECK(Rows(*crashed.engine->Current()) == rows);
  }
  FUZZ_CHECK(live->engine->Close().ok());
  live->engine = Open(live->env.get(), key_mode);
  FUZZ_CHECK(Render(*live->engine->Current()) == text);
  FUZZ_CHECK(Rows(*live->engine->Current()) == rows);
}

// With no concurrent change the result is the writer's image (a missing final line ending
// may be added), its header's line ending included (corpus regression-fuzz_merge-*).
void CheckIsImage(const std::string& text, const std::string& image,
                  const std::string& base_text) {
  if (!text.starts_with(image)) {
    std::fprintf(stderr, "base:\n%s\nimage:\n%s\nresult:\n%s\n", base_text.c_str(), image.c_str(),
                 text.c_str());
  }
  FUZZ_CHECK(text.starts_with(image));
  const std::string_view added = std::string_view(text).substr(image.size());
  FUZZ_CHECK(added.empty() || added == "\n" || added == "\r\n");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  spdlog::set_level(spdlog::level::off);  // conflicts and recovery notes are expected here
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const TableShape shape = csvfs::fuzz::ReadShape(&in);
  Instance live{csvfs::core::NewMemEnv(), nullptr};
  WriteFile(live.env.get(), "t.csv", MakeTable(&in, shape));
  live.engine = Open(live.env.get(), shape.key_mode);
  Engine* e = live.engine.get();

  const Snapshot base = e->Current();
  RunOthers(&in, shape, e);
  const Snapshot before = e->Current();
  std::map<std::string, std::string> base_rows, others_rows;
  for (auto& [id, bytes] : Rows(*base)) base_rows.emplace(id, bytes);
  for (auto& [id, bytes] : Rows(*before)) {
    if (!base_rows.count(id)) others_rows.emplace(id, bytes);
  }
  const std::string before_text = Render(*before);
  const std::string base_text = Render(*base);
  const std::string image = csvfs::fuzz::EditImage(&in, shape, base_text);

  auto r = e->Rewrite(base, image, 1);
  const Snapshot after = e->Current();
  FUZZ_CHECK(Render(*base) == base_text && Render(*before) == before_text);  // immutable
  if (!r.ok()) {
    FUZZ_CHECK(after == before);
    FUZZ_CHECK(Render(*after) == before_text);
  } else {
    CheckConsistent(*after);
    for (const auto& [id, bytes] : others_rows) {
      auto now = e->RowContent(id);
      if (!now || *now != bytes) std::fprintf(stderr, "row %s of others lost\n", id.c_str());
      FUZZ_CHECK(now && *now == bytes);
    }
    if (before->number() == base->number()) CheckIsImage(Render(*after), image, base_text);
  }
  CheckDurable(&live, shape.key_mode);
  return 0;
}
