// Table: rewrite ops (a whole new table, as the merge of a rewrite decided it).
#include <string>
#include <string_view>

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

Status Table::ApplyRewrite(const Op& op, Draft* d) {
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
