// KeyIndex: exact against a map model even when every fingerprint collides, memory per key
// bounded and independent of the keys' length; and Table's key mode on top of it (load-time
// duplicate detection with quoted keys, Find after changes).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "core/env.h"
#include "core/key_index.h"
#include "core/large_alloc.h"
#include "core/table.h"
#include "tests/unit/engine_test_util.h"

namespace csvfs::testing {
namespace {

using core::KeyIndex;
using core::RowRef;

// Rows are keys in a vector: RowRef{1, i} has key rows[i].
struct Rows {
  std::vector<std::string> keys;
  bool IsKey(RowRef ref, std::string_view key) const {
    return ref.block == 1 && ref.index < keys.size() && keys[ref.index] == key;
  }
};

uint32_t Colliding(std::string_view key) { return key.size() % 3 + 1; }  // 3 values only

// Random inserts, sets, erases and finds, checked against std::map.
void CheckAgainstModel(KeyIndex* index, size_t ops, uint32_t seed) {
  std::mt19937 rng(seed);
  Rows rows;
  std::map<std::string, uint32_t> model;  // key -> row index
  auto is_key = [&rows](RowRef ref, std::string_view key) { return rows.IsKey(ref, key); };
  for (size_t op = 0; op < ops; ++op) {
    const std::string key = "k" + std::to_string(rng() % 600);
    switch (rng() % 4) {
      case 0: {  // insert as a new row
        rows.keys.push_back(key);
        const RowRef ref{1, uint32_t(rows.keys.size() - 1)};
        const bool added = index->Insert(key, ref, is_key);
        REQUIRE(added == !model.count(key));
        if (added) model[key] = ref.index;
        break;
      }
      case 1: {  // set: a new row takes the key over
        rows.keys.push_back(key);
        const RowRef ref{1, uint32_t(rows.keys.size() - 1)};
        if (auto it = model.find(key); it != model.end()) {
          // The old row keeps its key bytes; only the entry moves (as after an update).
          index->Set(key, ref, is_key);
          it->second = ref.index;
        } else {
          index->Set(key, ref, is_key);
          model[key] = ref.index;
        }
        break;
      }
      case 2: {  // erase
        auto it = model.find(key);
        // A missing key is erased with a row the index does not hold (Erase's contract).
        const RowRef ref = it == model.end() ? RowRef{2, 0} : RowRef{1, it->second};
        REQUIRE(index->Erase(key, ref) == (it != model.end()));
        if (it != model.end()) model.erase(it);
        break;
      }
      default: {
        auto found = index->Find(key, is_key);
        auto it = model.find(key);
        REQUIRE(found.has_value() == (it != model.end()));
        if (found) REQUIRE(found->index == it->second);
      }
    }
    REQUIRE(index->size() == model.size());
  }
  for (const auto& [key, row] : model) {
    auto found = index->Find(key, is_key);
    REQUIRE(found.has_value());
    REQUIRE(found->index == row);
  }
}

std::unique_ptr<core::Table> LoadKeyed(core::Env* env, const std::string& csv, core::Status* st) {
  return LoadTable(env, csv, "id", st);
}

}  // namespace

TEST_CASE("key index: agrees with a map model with real fingerprints") {
  KeyIndex index;
  CheckAgainstModel(&index, 20000, 1);
}

TEST_CASE("key index: agrees with a map model when nearly every fingerprint collides") {
  KeyIndex index(&Colliding);
  CheckAgainstModel(&index, 6000, 2);
}

TEST_CASE("key index: memory per key is bounded and does not depend on the keys' length") {
  // Cost growth: the index stores no key bytes, so 200-byte keys cost what 8-byte keys cost.
  size_t grown_bytes[2] = {0, 0};
  for (size_t len : {8, 200}) {
    Rows rows;
    KeyIndex index;
    auto is_key = [&rows](RowRef ref, std::string_view key) { return rows.IsKey(ref, key); };
    constexpr size_t kKeys = 300000;
    for (size_t i = 0; i < kKeys; ++i) {
      std::string key = std::to_string(i);
      key.insert(0, len - key.size(), 'x');
      rows.keys.push_back(std::move(key));
      REQUIRE(index.Insert(rows.keys.back(), RowRef{1, uint32_t(i)}, is_key));
    }
    INFO("key length " << len << ": " << double(index.MemoryBytes()) / kKeys << " B/key grown");
    // Grown by x1.5 steps: at most ~22.5 B/key, plus the rounding to a 2 MiB extent.
    CHECK(index.MemoryBytes() <= 23 * kKeys + core::kLargePage);
    grown_bytes[len == 8 ? 0 : 1] = index.MemoryBytes();
    index.ShrinkToFit();
    CHECK(index.MemoryBytes() <= 16 * kKeys + core::kLargePage);
    for (size_t i = 0; i < kKeys; i += 101) {
      REQUIRE(index.Find(rows.keys[i], is_key) == RowRef{1, uint32_t(i)});
    }
    // A reserved index does not grow.
    KeyIndex reserved;
    reserved.Reserve(kKeys);
    const size_t bytes = reserved.MemoryBytes();
    for (size_t i = 0; i < kKeys; ++i) {
      REQUIRE(reserved.Insert(rows.keys[i], RowRef{1, uint32_t(i)}, is_key));
    }
    CHECK(reserved.MemoryBytes() == bytes);
    CHECK(bytes <= 16 * kKeys + core::kLargePage);
  }
  CHECK(grown_bytes[0] == grown_bytes[1]);
}

TEST_CASE("table: key mode load finds rows by plain and quoted keys and refuses duplicates") {
  auto env = core::NewMemEnv();
  core::Status st;
  // Enough rows for the bulk path; a quoted key, a key with a comma, empty lines.
  std::string csv = "name,id\n";
  for (int i = 0; i < 5000; ++i) csv += "n" + std::to_string(i) + ",k" + std::to_string(i) + "\n";
  csv += "\"q,1\",\"k,5000\"\n\nlast,\"k5001\"\n";
  auto t = LoadKeyed(env.get(), csv, &st);
  REQUIRE(st.ok());
  CHECK(t->current()->row_count() == 5002);
  CHECK(*t->RowBytes("k0") == "n0,k0\n");
  CHECK(*t->RowBytes("k4999") == "n4999,k4999\n");
  CHECK(*t->RowBytes("k,5000") == "\"q,1\",\"k,5000\"\n");
  CHECK(*t->RowBytes("k5001") == "\nlast,\"k5001\"\n");
  CHECK_FALSE(t->Find("k5002").has_value());
  CHECK_FALSE(t->Find("\"k5001\"").has_value());

  // A quoted key equal to an earlier plain one is a duplicate, reported at its line.
  std::string dup = "name,id\n";
  for (int i = 0; i < 3000; ++i) dup += "n,k" + std::to_string(i) + "\n";
  dup += "n,\"k17\"\n";
  for (int i = 3000; i < 4000; ++i) dup += "n,k" + std::to_string(i) + "\n";
  t = LoadKeyed(env.get(), dup, &st);
  CHECK(st.code() == core::Code::kInvalid);
  CHECK(st.message() == "t.csv: line 3002: duplicate key 'k17'");
  // A plain duplicate in the bulk path, and an unusable key.
  t = LoadKeyed(env.get(), "name,id\nn,a\nn,b\nn,a\n", &st);
  CHECK(st.message() == "t.csv: line 4: duplicate key 'a'");
  t = LoadKeyed(env.get(), "name,id\nn,a\nn,..\n", &st);
  CHECK(st.message() == "t.csv: line 3: row 2: key '..' cannot be a file name");
}

TEST_CASE("table: key mode Find follows deletes, key changes and appends") {
  auto env = core::NewMemEnv();
  core::Status st;
  auto t = LoadKeyed(env.get(), "id,v\na,1\nb,2\nc,3\n", &st);
  REQUIRE(st.ok());
  core::Op op;
  op.deletes = {"a"};
  op.updates = {{"b", "bb,2\n"}};
  op.appends = {{"d", "d,4\n"}};
  REQUIRE(t->Apply(op).ok());
  CHECK_FALSE(t->Find("a").has_value());
  CHECK_FALSE(t->Find("b").has_value());
  CHECK(*t->RowBytes("bb") == "bb,2\n");
  CHECK(*t->RowBytes("c") == "c,3\n");
  CHECK(*t->RowBytes("d") == "d,4\n");
  core::Op again;  // the freed key can be used again
  again.appends = {{"a", "a,5\n"}};
  REQUIRE(t->Apply(again).ok());
  CHECK(*t->RowBytes("a") == "a,5\n");
}

}  // namespace csvfs::testing
