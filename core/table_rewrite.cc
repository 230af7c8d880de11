// Table: rewrite ops (a whole new table, as the merge of a rewrite decided it).
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/csv.h"
#include "core/table.h"
#include "core/table_internal.h"

namespace csvfs::core {

using namespace table_internal;

Status Table::KeepRun(const RewriteEntry& e, bool last, const AddRowFn& add) {
  auto start = Find(e.id);
  uint64_t left = e.run;
  if (start) {
    current_->ForEachRowFrom(*start, [&](std::string_view id, std::string_view bytes, RowRef) {
      const uint64_t n = key_mode() ? 0 : NumericId(id);
      if (n >= next_id_) next_id_ = n + 1;
      add(bytes, n, /*ref=*/true, last && left == 1);
      return --left > 0;
    });
  }
  if (left != 0) {
    return Status::Corruption("rewrite keeps " + std::to_string(e.run) + " rows from '" + e.id +
                              "', but the table has " + std::to_string(e.run - left));
  }
  return Status::Ok();
}

namespace {

// The most rows a rewrite may change in place (as overrides of the current version's rows);
// a rewrite that changes more gets a new block instead (16 bytes a row, no per-row objects).
uint64_t InPlaceLimit(uint64_t rows) { return 65536 + rows / 64; }

}  // namespace

bool Table::ApplyRewriteInPlace(const Op& op, Draft* d) {
  const Version& cur = *current_;
  if (op.entries.empty()) return false;
  if (op.set_header && op.header != cur.header()) return false;
  if (TrailingBlankBytes(cur.header()) > 0) return false;
  const uint64_t n = cur.rows_;
  if (n > 0) {
    auto last = cur.RefAt(n - 1);
    if (!last || TrailingBlankBytes(cur.RowBytes(*last).value_or("")) > 0) return false;
  }
  // First pass: the op as deletions of ordinal ranges, replacements and appends, or `false`
  // if it is anything else (a row moved or inserted before others, a key changed...).
  struct Step {
    enum Kind : uint8_t { kDelete, kReplace, kAppend, kMove } kind;
    uint64_t from = 0, to = 0;  // kDelete, kMove: ordinals [from, to) of `cur`
    size_t entry = 0;           // kReplace, kAppend; kMove of a replaced row
    RowRef ref;                 // kReplace
    bool replaced = false;      // kMove: row `from` gets the entry's bytes
  };
  std::vector<Step> steps;
  std::unordered_set<std::string> new_keys;
  const uint64_t limit = InPlaceLimit(n);
  uint64_t expect = 0, changed = 0;
  bool appending = false;  // a new row came: every later row goes to the end
  auto delete_to = [&](uint64_t to) {
    if (to > expect) {
      steps.push_back(Step{Step::kDelete, expect, to, 0, {}, false});
      changed += to - expect;
    }
    expect = to;
  };
  for (size_t i = 0; i < op.entries.size(); ++i) {
    const RewriteEntry& e = op.entries[i];
    const bool last = i + 1 == op.entries.size();
    if (!e.keep && !last && (!e.bytes.ends_with('\n') || TrailingBlankBytes(e.bytes) > 0)) {
      return false;
    }
    if (!e.keep && key_mode()) {
      auto key = KeyOf(e.bytes);
      if (!key.ok() || key.value() != e.id) return false;
    }
    const auto ref = Find(e.id);
    if (!ref) {
      if (e.keep) return false;  // the general path reports it
      if (unterminated_row_) return false;
      if (key_mode() ? !new_keys.insert(e.id).second : NumericId(e.id) == 0) return false;
      appending = true;
      steps.push_back(Step{Step::kAppend, 0, 0, i, {}, false});
      continue;
    }
    const uint64_t ord = cur.Ordinal(*ref);
    const uint64_t count = e.keep ? e.run : 1;
    if (ord < expect || ord + count > n) return false;
    delete_to(ord);
    if (appending) {  // rows others appended, which the merge puts after the writer's new rows
      steps.push_back(Step{Step::kMove, ord, ord + count, i, *ref, !e.keep});
      changed += count;
    } else if (!e.keep) {
      steps.push_back(Step{Step::kReplace, 0, 0, i, *ref, false});
      ++changed;
    }
    expect = ord + count;
    if (changed > limit) return false;
  }
  delete_to(n);
  if (changed > limit) return false;

  // Second pass: nothing below can fail (every row was found above).
  Version& v = *d->v;
  const uint64_t next_id_before = next_id_;  // every id so far is below it
  uint64_t next_append = 0;
  uint64_t max_moved = 0;  // numeric mode: the largest id of a moved row  // numeric mode: the id the next appended row has if consecutive
  bool consecutive = true;
  std::vector<uint64_t> appended;
  for (const Step& s : steps) {
    const RewriteEntry* e = s.kind == Step::kDelete ? nullptr : &op.entries[s.entry];
    switch (s.kind) {
      case Step::kDelete: {
        uint64_t left = s.to - s.from;
        cur.ForEachRowFrom(*cur.RefAt(s.from), [&](std::string_view id, std::string_view, RowRef r) {
          if (key_mode()) key_index_.Erase(id, r);
          (void)SetRow(d, r, nullptr);
          d->erased.emplace_back(id);
          return --left > 0;
        });
        break;
      }
      case Step::kReplace: {
        if (cur.RowBytes(s.ref).value_or("") != e->bytes) d->stamped.push_back(e->id);
        (void)SetRow(d, s.ref, std::make_shared<const std::string>(e->bytes));
        if (!e->bytes.ends_with('\n')) unterminated_row_ = s.ref;  // the last entry
        break;
      }
      case Step::kMove: {  // deleted where it was, appended with its id
        uint64_t left = s.to - s.from;
        cur.ForEachRowFrom(*cur.RefAt(s.from), [&](std::string_view id, std::string_view bytes, RowRef r) {
          if (key_mode()) key_index_.Erase(id, r);
          (void)SetRow(d, r, nullptr);
          if (s.replaced) {
            if (bytes != e->bytes) d->stamped.push_back(e->id);
            bytes = e->bytes;
          }
          if (!key_mode()) max_moved = std::max(max_moved, NumericId(id));
          AppendRow(d, RowData{std::string(id), std::string(bytes)});
          return --left > 0;
        });
        break;
      }
      case Step::kAppend: {
        AppendRow(d, RowData{e->id, e->bytes});
        if (key_mode()) {
          d->stamped.push_back(e->id);
          break;
        }
        const uint64_t id = NumericId(e->id);
        consecutive = consecutive && (appended.empty() ? id >= next_id_before : id == next_append);
        next_append = id + 1;
        appended.push_back(id);
        break;
      }
    }
  }
  if (!appended.empty()) {
    if (consecutive && appended.front() > max_moved) {
      d->appended_from = appended.front();
    } else {
      for (uint64_t id : appended) d->stamped.push_back(std::to_string(id));
    }
  }
  if (!cfg_.header && changed > 0 && v.rows_ > 0) {  // the first row says how many fields
    const std::string_view first = v.RowBytes(*v.RefAt(0)).value_or("");
    v.field_count_ = CountFields(first);
    v.eol_ = first.ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
  }
  d->changed_middle = changed > 0;
  d->key_index_done = true;
  return true;
}

Status Table::ApplyRewrite(const Op& op, Draft* d) {
  if (ApplyRewriteInPlace(op, d)) return Status::Ok();
  Version& v = *d->v;
  auto block = RowBlock::NewHeap(next_seq_++);
  block->KeepAlive(current_);
  if (op.set_header) {
    v.header_ = op.header.empty() ? nullptr : std::make_shared<const std::string>(op.header);
    v.field_count_ = op.header.empty() ? 0 : CountFields(op.header);
    if (!op.header.empty()) v.eol_ = op.header.ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
    if (key_mode() && !op.header.empty()) {  // columns may have moved
      auto col = ResolveKeyColumn(op.header);
      if (!col.ok()) return col.status();
      key_column_ = v.key_column_ = col.value();
    }
  }
  // Empty lines after the header or a row that another row now follows go before that row,
  // where a fresh load of the file attaches them (so recovery rebuilds the same rows).
  std::string carry;
  if (const size_t t = v.header_ && !op.entries.empty() ? TrailingBlankBytes(*v.header_) : 0) {
    carry = v.header_->substr(v.header_->size() - t);
    v.header_ = std::make_shared<const std::string>(v.header_->substr(0, v.header_->size() - t));
  }
  // Adds one row of the new table (`last`: no row follows it).
  const AddRowFn add = [&](std::string_view bytes, uint64_t id, bool ref, bool last) {
    const size_t trail = last ? 0 : TrailingBlankBytes(bytes);
    if (carry.empty() && trail == 0) {
      if (ref) {
        block->AddRefRow(bytes, id);
      } else {
        block->AddHeapRow(bytes, id);
      }
      return;
    }
    std::string joined = carry;
    joined += bytes.substr(0, bytes.size() - trail);
    carry.assign(bytes.substr(bytes.size() - trail));
    block->AddHeapRow(joined, id);
  };
  for (size_t i = 0; i < op.entries.size(); ++i) {
    const RewriteEntry& e = op.entries[i];
    const bool last = i + 1 == op.entries.size();
    uint64_t id = key_mode() ? 0 : NumericId(e.id);
    if (id >= next_id_) next_id_ = id + 1;
    if (e.keep && e.run != 1) {
      CSVFS_RETURN_IF_ERROR(KeepRun(e, last, add));
    } else if (e.keep) {
      auto kept = RowBytes(e.id);
      if (!kept) return Status::Corruption("rewrite keeps missing row '" + e.id + "'");
      add(*kept, id, true, last);
    } else {
      auto old = RowBytes(e.id);  // still the version before the rewrite
      if (!old || *old != e.bytes) d->stamped.push_back(e.id);
      add(e.bytes, id, false, last);
    }
  }
  unterminated_header_ = v.header_ && !v.header_->ends_with('\n');
  size_t n = block->size();
  v.blocks_.assign(1, BlockRange{block, uint32_t(n), 0});
  v.overrides_ = OverrideTree();
  v.rows_ = n;
  v.size_ = v.header().size() + block->Start(n);
  if (!cfg_.header && n > 0) {
    v.field_count_ = CountFields(block->Row(0));
    v.eol_ = block->Row(0).ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
  }
  unterminated_row_.reset();
  if (n > 0 && !block->Row(n - 1).ends_with('\n')) unterminated_row_ = RowRef{block->seq(), uint32_t(n - 1)};
  append_block_ = block;
  d->changed_middle = true;
  d->prune_stamps = true;
  return Status::Ok();
}

}  // namespace csvfs::core
