// Table: building the first Version from a file (a fresh scan, or a checkpoint whose layout
// is known) and giving its rows their ids.
#include "core/table.h"

#include <algorithm>
#include <charconv>

#include "core/csv.h"
#include "core/resident_pages.h"
#include "core/table_internal.h"

namespace csvfs::core {

using namespace table_internal;

Status Table::Load(std::shared_ptr<const ReadOnlyFile> file, const std::vector<uint64_t>& ids,
                   uint64_t next_id, const std::string& label, bool strict_ids) {
  uint64_t fresh_id = next_id;
  std::string_view data = file->data();
  auto v = std::make_shared<Version>(*current_);
  v->key_column_ = -1;
  std::shared_ptr<RowBlock> block;
  uint64_t row = 0;
  Status err;
  // Keys in the block being built (KeyIndex's check of a fingerprint match).
  auto is_loaded_key = [&](RowRef ref, std::string_view key) {
    return ref.block == block->seq() && ref.index < block->size() &&
           RowHasKey(block->Row(ref.index), key_column_, key);
  };
  // Empty lines are not records: a run of them joins the record after it (the mapped row
  // spans from the previous row's end), or the last record at the end of the file.
  uint64_t blank_from = UINT64_MAX;
  // Any record (span relative to data): the header, empty lines, the first row, errors.
  auto on_record = [&](const RecordSpan& sp) {
    const uint64_t start = sp.begin, offset = sp.next;
    const std::string_view rec = data.substr(start, offset - start);
    if (sp.blank()) [[unlikely]] {
      if (blank_from == UINT64_MAX) blank_from = start;
      return;
    }
    const uint64_t from = blank_from == UINT64_MAX ? start : blank_from;
    blank_from = UINT64_MAX;
    auto fail = [&](const Status& s) {
      err = Status(s.code(), label + ": line " + std::to_string(LineOf(data, start)) + ": " +
                                 s.message());
    };
    if (!block) {
      if (cfg_.header) {
        v->header_ = std::make_shared<const std::string>(data.substr(from, offset - from));
        v->field_count_ = sp.fields;
        v->eol_ = sp.eol();
        unterminated_header_ = sp.eol() == LineEnding::kNone;
        current_ = v;
        if (key_mode()) {
          auto col = ResolveKeyColumn(rec);
          if (!col.ok()) return fail(col.status());
          key_column_ = v->key_column_ = col.value();
        }
      }
      block = RowBlock::NewMapped(next_seq_++, file, cfg_.header ? offset : from);
      if (cfg_.header) return;
    }
    if (v->field_count_ == 0) {
      v->field_count_ = sp.fields;
      v->eol_ = sp.eol();
      current_ = v;
      if (key_mode()) {
        auto col = ResolveKeyColumn(rec);
        if (!col.ok()) return fail(col.status());
        key_column_ = v->key_column_ = col.value();
      }
    }
    Status s = CheckRecord(rec, sp.fields, v->field_count_);
    if (!s.ok()) return fail(s);
    uint64_t id = key_mode() ? 0 : (row < ids.size() ? ids[row] : fresh_id++);
    if (key_mode()) {
      auto key = KeyOf(rec);
      if (!key.ok()) return fail(Status::Invalid("row " + std::to_string(row + 1) + ": " +
                                                 key.status().message()));
      if (!key_index_.Insert(key.value(), RowRef{block->seq(), uint32_t(row)}, is_loaded_key)) {
        return fail(Status::Invalid("duplicate key '" + key.value() + "'"));
      }
    }
    block->AddMappedRow(offset, id);
    unterminated_row_.reset();
    if (sp.eol() == LineEnding::kNone) unterminated_row_ = RowRef{block->seq(), uint32_t(row)};
    ++row;
  };
  // The common record, in a tight loop: a terminated data row of the expected size and field
  // count, with a fresh numeric id or an unquoted, new and usable key, and no empty lines
  // before it. Anything else goes through on_record, which also words the errors.
  const uint64_t max_bytes = cfg_.max_record_bytes;
  bool reserved = false;
  auto on_batch = [&](const RecordSpan* spans, size_t n) {
    if (n > 0) NoteMappedRead(spans[n - 1].next - spans[0].begin);
    // Key mode: once a sixteenth of the file is indexed (the index grows on its own until
    // then), size the index for the whole file by extrapolation: at most 16x the keys seen,
    // so that small first rows cannot make it reserve (and touch) far more than needed.
    if (key_mode() && !reserved && row > 0 && spans[0].begin >= data.size() / 16) {
      reserved = true;
      const uint64_t estimate = row * data.size() / std::max<uint64_t>(1, spans[0].begin);
      key_index_.Reserve(size_t(estimate + estimate / 16));
    }
    uint32_t want = 0;  // the field count rows must have (0: any), once it is known
    auto ordinary = [&](const RecordSpan& sp) {
      return sp.next != sp.end && sp.begin != sp.end && sp.next - sp.begin <= max_bytes &&
             (want == 0 || sp.fields == want);
    };
    for (size_t i = 0; i < n && err.ok();) {
      want = cfg_.ragged ? 0 : v->field_count_;
      if (block && blank_from == UINT64_MAX && v->field_count_ != 0 && row >= ids.size() &&
          ordinary(spans[i])) {
        if (!key_mode()) {
          for (; i < n && ordinary(spans[i]); ++i, ++row) {
            block->AddMappedRow(spans[i].next, fresh_id++);
          }
        } else {
          // Windows of rows: keys and fingerprints first (prefetching their slots), then
          // the inserts, whose cache misses then overlap.
          constexpr size_t kWindow = 32;
          std::string_view keys[kWindow];
          uint32_t fps[kWindow];
          for (bool more = true; more && i < n;) {
            size_t w = 0;
            for (; w < kWindow && i + w < n && ordinary(spans[i + w]); ++w) {
              const RecordSpan& sp = spans[i + w];
              const auto key = PlainField(data.substr(sp.begin, sp.end - sp.begin), key_column_);
              if (!key || !UsableKey(*key)) break;
              keys[w] = *key;
              fps[w] = key_index_.FingerprintOf(*key);
              key_index_.Prefetch(fps[w]);
            }
            size_t done = 0;
            for (; done < w; ++done, ++row) {
              if (!key_index_.InsertFingerprinted(fps[done], keys[done],
                                                  RowRef{block->seq(), uint32_t(row)},
                                                  is_loaded_key)) {
                break;
              }
              block->AddMappedRow(spans[i + done].next, 0);
            }
            i += done;
            more = done == kWindow;  // else: the batch's end, or a record for on_record
          }
        }
        unterminated_row_.reset();
        if (i == n) break;
      }
      on_record(spans[i++]);
    }
    return err.ok();
  };
  Status scanned = ScanRecordBatches(data, on_batch);
  if (!scanned.ok() && err.ok()) err = Status(scanned.code(), label + ": " + scanned.message());
  if (!err.ok()) {
    key_index_.Clear();
    return err;
  }
  key_index_.ShrinkToFit();
  if (blank_from != UINT64_MAX) {  // empty lines at the end of the file
    const std::string_view blanks = data.substr(blank_from);
    if (row > 0) {
      block->ExtendLastMappedRow(data.size());
    } else {
      v->header_ = std::make_shared<const std::string>(std::string(v->header()) += blanks);
      current_ = v;
    }
  }
  if (!key_mode() && (ids.size() > row || (strict_ids && ids.size() != row))) {
    return Status::Corruption(label + ": the journal lists " + std::to_string(ids.size()) +
                              " row ids but the file has " + std::to_string(row) + " rows");
  }
  if (block) v->blocks_.push_back(BlockRange{block, uint32_t(row), 0});
  v->rows_ = row;
  v->size_ = data.size();
  v->key_column_ = key_column_;
  next_id_ = std::max(next_id, fresh_id);
  for (uint64_t id : ids) next_id_ = std::max(next_id_, id + 1);
  current_ = v;
  return Status::Ok();
}

Status Table::RelabelIds(const std::vector<std::pair<uint64_t, uint64_t>>& id_runs,
                         uint64_t first_fresh, bool strict_ids, const std::string& label) {
  if (key_mode()) return Status::Ok();
  uint64_t rows = current_->rows_, listed = 0;
  for (const auto& run : id_runs) listed += run.second;
  if (listed > rows || (strict_ids && listed != rows)) {
    return Status::Corruption(label + ": the journal lists " + std::to_string(listed) +
                              " row ids but the file has " + std::to_string(rows) + " rows");
  }
  next_id_ = first_fresh;
  if (!current_->blocks_.empty()) {
    // Not yet published: the block may be relabelled in place.
    auto* block = const_cast<RowBlock*>(current_->blocks_[0].block.get());
    next_id_ = std::max(next_id_, block->Relabel(id_runs, first_fresh));
  }
  return Status::Ok();
}

Status Table::LoadLayout(std::shared_ptr<const ReadOnlyFile> file, const CheckpointLayout& layout,
                         uint64_t next_id) {
  std::string_view data = file->data();
  auto v = std::make_shared<Version>(*current_);
  v->blocks_.clear();
  v->overrides_ = OverrideTree();
  v->header_.reset();
  if (layout.header_end > 0) {
    v->header_ = std::make_shared<const std::string>(data.substr(0, layout.header_end));
  }
  std::string_view first = v->header_ ? std::string_view(*v->header_) : std::string_view();
  if (first.empty() && !layout.row_ends.empty()) first = data.substr(0, layout.row_ends[0]);
  unterminated_header_ = v->header_ && v->header_->back() != '\n';
  if (!first.empty()) {
    v->field_count_ = CountFields(first);
    v->eol_ = first.ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
  }
  auto block = RowBlock::NewMapped(next_seq_++, file, layout.header_end);
  for (size_t i = 0; i < layout.row_ends.size(); ++i) {
    block->AddMappedRow(layout.row_ends[i], key_mode() ? 0 : layout.ids[i]);
  }
  size_t n = layout.row_ends.size();
  unterminated_row_.reset();
  if (n > 0 && data[layout.row_ends[n - 1] - 1] != '\n') {
    unterminated_row_ = RowRef{block->seq(), uint32_t(n - 1)};
  }
  v->blocks_.push_back(BlockRange{block, uint32_t(n), 0});
  v->rows_ = n;
  v->size_ = data.size();
  current_ = v;
  append_block_.reset();
  next_id_ = next_id;
  if (key_mode() && !first.empty()) {
    auto col = ResolveKeyColumn(first);
    if (!col.ok()) return col.status();
    key_column_ = col.value();
    v->key_column_ = key_column_;
  }
  RebuildKeyIndex();
  return Status::Ok();
}

}  // namespace csvfs::core
