// RowBlock: row bytes and numeric ids of a mapped block, and Relabel from id runs.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "core/row_block.h"

namespace csvfs::testing {
namespace {

class StringFile : public core::ReadOnlyFile {
 public:
  explicit StringFile(std::string s) : s_(std::move(s)) {}
  std::string_view data() const override { return s_; }

 private:
  std::string s_;
};

// A mapped block over "h\n" then `rows` rows "r<i>\n", ids 1..rows.
std::shared_ptr<core::RowBlock> Mapped(size_t rows) {
  std::string text = "h\n";
  for (size_t i = 0; i < rows; ++i) text += "r" + std::to_string(i) + "\n";
  auto file = std::make_shared<StringFile>(text);
  auto b = core::RowBlock::NewMapped(1, file, 2);
  uint64_t end = 2;
  for (size_t i = 0; i < rows; ++i) {
    end += ("r" + std::to_string(i) + "\n").size();
    b->AddMappedRow(end, i + 1);
  }
  return b;
}

}  // namespace

TEST_CASE("row block: relabel from consecutive runs keeps ids implicit and exact") {
  auto b = Mapped(10);
  CHECK(b->Row(3) == "r3\n");
  CHECK(b->Relabel({{5, 10}}, 1) == 15);
  for (size_t i = 0; i < 10; ++i) CHECK(b->Id(i) == 5 + i);
  CHECK(b->FindId(9) == 4u);
  CHECK_FALSE(b->FindId(4).has_value());
  CHECK_FALSE(b->FindId(15).has_value());
  CHECK(b->MemoryBytes() == Mapped(10)->MemoryBytes());  // no per-row ids stored
}

TEST_CASE("row block: relabel from gapped runs, then fresh ids after the largest") {
  auto b = Mapped(8);
  // Rows 0-2: 1..3; rows 3-4: 20, 21; rows 5-7 fresh from max(first_fresh, 22).
  CHECK(b->Relabel({{1, 3}, {20, 2}}, 7) == 25);
  const uint64_t want[] = {1, 2, 3, 20, 21, 22, 23, 24};
  for (size_t i = 0; i < 8; ++i) CHECK(b->Id(i) == want[i]);
  CHECK(b->FindId(21) == 4u);
  CHECK(b->FindId(22) == 5u);
  CHECK_FALSE(b->FindId(4).has_value());
}

TEST_CASE("row block: relabel with descending runs and a larger first_fresh") {
  auto b = Mapped(5);
  CHECK(b->Relabel({{10, 2}, {3, 1}}, 50) == 52);
  const uint64_t want[] = {10, 11, 3, 50, 51};
  for (size_t i = 0; i < 5; ++i) CHECK(b->Id(i) == want[i]);
  CHECK(b->FindId(3) == 2u);
  CHECK(b->FindId(51) == 4u);
  CHECK_FALSE(b->FindId(12).has_value());
  // Relabelling again starts over.
  CHECK(b->Relabel({}, 1) == 6);
  for (size_t i = 0; i < 5; ++i) CHECK(b->Id(i) == i + 1);
}

}  // namespace csvfs::testing
