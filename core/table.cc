#include "core/table.h"

#include <algorithm>
#include <charconv>

#include "core/csv.h"
#include "core/resident_pages.h"
#include "core/table_internal.h"

namespace csvfs::core {

using namespace table_internal;

namespace {

// Whether a key can be a file name under rows/.
bool UsableKey(std::string_view k) {
  return !k.empty() && k != "." && k != ".." && k.find('/') == std::string_view::npos &&
         k.find('\0') == std::string_view::npos && k.size() <= 255;
}

// Field `column` of a record's text, without a copy, when no field up to it is quoted (the
// common case; the text is known to be well-formed). nullopt when one is (FieldValue then
// decodes it) or when the record has fewer fields.
std::optional<std::string_view> PlainField(std::string_view text, int column) {
  size_t pos = 0;
  for (int i = 0; i < column; ++i) {
    const size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) return std::nullopt;
    pos = comma + 1;
  }
  const size_t end = std::min(text.find(',', pos), text.size());
  if (text.substr(0, end).find('"') != std::string_view::npos) return std::nullopt;
  return text.substr(pos, end - pos);
}

// Whether `row` (a row's bytes, with any empty lines kept with it) has `key` in `column`.
bool RowHasKey(std::string_view row, int column, std::string_view key) {
  const std::string_view text = RecordText(row);
  if (auto plain = PlainField(text, column)) return *plain == key;
  auto v = FieldValue(text, size_t(column));
  return v.ok() && v.value() == key;
}

}  // namespace

Table::Table(TableConfig cfg) : cfg_(std::move(cfg)) {
  auto v = std::make_shared<Version>();
  v->lineage_ = 1;
  current_ = v;
}

void Table::SetCounters(uint64_t number, uint64_t lineage, int64_t mtime_ns) {
  auto v = std::make_shared<Version>(*current_);
  v->number_ = number;
  v->lineage_ = lineage;
  v->mtime_ns_ = mtime_ns;
  v->base_stamp_ = ChangeStamp{number, mtime_ns};
  v->stamps_ = RowStamps();
  current_ = v;
}

void Table::CarryStamps(const Version& from) {
  auto v = std::make_shared<Version>(*current_);
  v->base_stamp_ = from.base_stamp_;
  v->stamps_ = from.stamps_;
  current_ = v;
}

uint32_t Table::ExpectedFields() const { return current_->field_count_; }

Result<int> Table::ResolveKeyColumn(std::string_view header) const {
  if (!key_mode()) return -1;
  std::vector<std::string> fields;
  // A byte order mark before the first name is not part of it.
  CSVFS_RETURN_IF_ERROR(SplitFields(StripEol(cfg_.header ? StripBom(header) : header), &fields));
  if (!cfg_.header) {
    int col = 0;
    auto [p, ec] = std::from_chars(cfg_.key_name.data(),
                                   cfg_.key_name.data() + cfg_.key_name.size(), col);
    if (ec != std::errc() || p != cfg_.key_name.data() + cfg_.key_name.size() || col < 1 ||
        size_t(col) > fields.size()) {
      return Status::Invalid("key=" + cfg_.key_name + ": with noheader, key must be a column number 1.." +
                             std::to_string(fields.size()));
    }
    return col - 1;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == cfg_.key_name) return int(i);
  }
  return Status::Invalid("key column '" + cfg_.key_name + "' is not in the header");
}

Result<std::string> Table::KeyAt(std::string_view record, int column) {
  if (column < 0) return Status::Invalid("the table has no key column yet");
  auto v = FieldValue(StripEol(record), size_t(column));
  if (!v.ok()) return Status::Invalid("record has no key field");
  const std::string& k = v.value();
  if (!UsableKey(k)) return Status::Invalid("key '" + k.substr(0, 64) + "' cannot be a file name");
  return v;
}

std::string Table::Normalize(std::string_view record) const {
  const std::string_view text = RecordText(record);  // empty lines before it stay
  std::string s(record.substr(0, size_t(text.data() - record.data()) + text.size()));
  s += EolBytes(current_->eol_ == LineEnding::kNone ? LineEnding::kLF : current_->eol_);
  return s;
}

Status Table::CheckRecord(std::string_view record, uint32_t fields, uint32_t want) const {
  if (record.size() > cfg_.max_record_bytes) {
    return Status::TooBig("record of " + std::to_string(record.size()) + " bytes is over the limit of " +
                          std::to_string(cfg_.max_record_bytes));
  }
  if (!cfg_.ragged && want != 0 && fields != want) {
    return Status::Invalid("record has " + std::to_string(fields) + " fields, the table has " +
                           std::to_string(want));
  }
  return Status::Ok();
}

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

void Table::RebuildKeyIndex() {
  key_index_.Clear();
  if (!key_mode()) return;
  key_index_.Reserve(current_->rows_);
  const Version& v = *current_;
  auto is_key = [&v](RowRef ref, std::string_view key) { return RowHasKeyIn(v, ref, key); };
  current_->ForEachRow([&](std::string_view id, std::string_view, RowRef ref) {
    (void)key_index_.Insert(id, ref, is_key);  // the first of duplicate keys wins
    return true;
  });
}

bool Table::RowHasKeyIn(const Version& v, RowRef ref, std::string_view key) {
  const auto bytes = v.RowBytes(ref);
  return bytes && v.key_column_ >= 0 && RowHasKey(*bytes, v.key_column_, key);
}

uint64_t Table::NumericId(std::string_view id) const {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size() || id.empty() || id[0] == '0') return 0;
  return v;
}

std::optional<RowRef> Table::Find(std::string_view id) const {
  if (key_mode()) {
    const Version& v = *current_;
    return key_index_.Find(id, [&v](RowRef ref, std::string_view key) {
      return RowHasKeyIn(v, ref, key);
    });
  }
  uint64_t n = NumericId(id);
  if (n == 0) return std::nullopt;
  for (const auto& b : current_->blocks_) {
    auto idx = b.block->FindId(n);
    if (!idx || *idx >= b.count) continue;
    RowRef ref{b.block->seq(), *idx};
    const auto* o = current_->overrides_.Find(ref.key());
    if (o != nullptr && !o->content) continue;
    return ref;
  }
  return std::nullopt;
}

std::optional<std::string_view> Table::RowBytes(std::string_view id) const {
  auto ref = Find(id);
  if (!ref) return std::nullopt;
  return current_->RowBytes(*ref);
}

Result<Op> Table::PrepareAppend(std::string_view records) {
  std::vector<RecordSpan> spans;
  CSVFS_RETURN_IF_ERROR(ScanRecords(records, &spans));
  Op op;
  uint32_t want = ExpectedFields();
  bool need_header = cfg_.header && RecordText(current_->header()).empty();
  int key_col = key_column_;
  std::unordered_map<std::string, int> batch_keys;
  uint64_t id = next_id_;
  for (const RecordSpan& sp : spans) {
    if (sp.blank()) continue;  // appending an empty line changes nothing
    std::string_view rec = records.substr(sp.begin, sp.next - sp.begin);
    CSVFS_RETURN_IF_ERROR(CheckRecord(rec, sp.fields, want));
    std::string bytes = sp.eol() == LineEnding::kNone ? Normalize(rec) : std::string(rec);
    if (want == 0) want = sp.fields;
    if (need_header) {
      op.set_header = true;
      op.header = std::move(bytes);
      need_header = false;
      if (key_mode()) {
        auto col = ResolveKeyColumn(op.header);
        if (!col.ok()) return col.status();
        key_col = col.value();
      }
      continue;
    }
    RowData row;
    if (key_mode()) {
      if (key_col < 0) {
        auto col = ResolveKeyColumn(rec);
        if (!col.ok()) return col.status();
        key_col = col.value();
      }
      auto key = KeyAt(rec, key_col);
      if (!key.ok()) return key.status();
      if (Find(key.value()) || !batch_keys.emplace(key.value(), 0).second) {
        return Status::Exists("duplicate key '" + key.value() + "'");
      }
      row.id = key.value();
    } else {
      row.id = std::to_string(id++);
    }
    row.bytes = std::move(bytes);
    op.appends.push_back(std::move(row));
  }
  return op;
}

Result<Op> Table::PrepareDelete(std::string_view id) const {
  if (!Find(id)) return Status::NotFound("no row '" + std::string(id) + "'");
  Op op;
  op.deletes.emplace_back(id);
  return op;
}

Result<Op> Table::PreparePut(std::string_view id, std::string_view record, bool create,
                             bool exclusive) {
  std::vector<RecordSpan> spans;
  CSVFS_RETURN_IF_ERROR(ScanRecordsFolded(record, &spans));
  if (spans.size() != 1) {
    return Status::Invalid("a row file must hold exactly one record, not " +
                           std::to_string(spans.size()));
  }
  CSVFS_RETURN_IF_ERROR(CheckRecord(record, spans[0].fields, ExpectedFields()));
  if (key_mode()) {
    if (key_column_ < 0) return Status::Invalid("the table has no header yet");
    auto key = KeyOf(record);
    if (!key.ok()) return key.status();
    if (key.value() != id) {
      return Status::Invalid("key field '" + key.value() + "' does not match the file name '" +
                             std::string(id) + "'");
    }
  }
  Op op;
  bool exists = Find(id).has_value();
  if (exists && exclusive) return Status::Exists("row '" + std::string(id) + "' exists");
  if (exists) {
    op.updates.push_back(RowData{std::string(id), Normalize(RecordOnly(record))});
  } else if (!create) {
    return Status::NotFound("no row '" + std::string(id) + "'");
  } else if (!key_mode()) {
    return Status::NotPermitted("row files can be created only with key=; append instead");
  } else {
    op.appends.push_back(RowData{std::string(id), Normalize(RecordOnly(record))});
  }
  return op;
}

Result<Op> Table::PrepareRename(std::string_view from, std::string_view to, bool noreplace) {
  if (!key_mode()) return Status::NotPermitted("rows can be renamed only with key=");
  auto bytes = RowBytes(from);
  if (!bytes) return Status::NotFound("no row '" + std::string(from) + "'");
  Op op;
  if (from == to) return op;
  std::vector<std::string> fields;
  CSVFS_RETURN_IF_ERROR(SplitFields(StripEol(*bytes), &fields));
  fields[size_t(key_column_)] = std::string(to);
  std::string rec = EncodeRecord(fields, current_->eol_ == LineEnding::kNone ? LineEnding::kLF
                                                                              : current_->eol_);
  auto key = KeyOf(rec);
  if (!key.ok()) return key.status();
  if (Find(to)) {
    if (noreplace) return Status::Exists("row '" + std::string(to) + "' exists");
    op.deletes.emplace_back(to);
  }
  op.updates.push_back(RowData{std::string(from), std::move(rec)});
  return op;
}

Status Table::SetRow(Draft* d, RowRef ref, std::shared_ptr<const std::string> content) {
  Version& v = *d->v;
  for (const auto& b : v.blocks_) {
    if (b.block->seq() != ref.block || ref.index >= b.count) continue;
    auto cur = v.RowBytes(ref);
    if (!cur) return Status::Corruption("row is already deleted");
    uint64_t orig = b.block->Row(ref.index).size();
    v.size_ = v.size_ - cur->size() + (content ? content->size() : 0);
    if (!content) --v.rows_;
    v.overrides_ = v.overrides_.Set(ref.key(), std::move(content), orig);
    if (unterminated_row_ == ref) unterminated_row_.reset();
    return Status::Ok();
  }
  return Status::Corruption("row reference outside the table");
}

void Table::FixMissingEol(Draft* d) {
  Version& v = *d->v;
  std::string_view eol = EolBytes(v.eol_ == LineEnding::kNone ? LineEnding::kLF : v.eol_);
  if (unterminated_row_) {
    auto bytes = v.RowBytes(*unterminated_row_);
    RowRef ref = *unterminated_row_;
    if (bytes) (void)SetRow(d, ref, std::make_shared<const std::string>(std::string(*bytes) += eol));
    unterminated_row_.reset();
  } else if (unterminated_header_ && v.header_) {
    v.header_ = std::make_shared<const std::string>(*v.header_ + std::string(eol));
    v.size_ += eol.size();
  }
  unterminated_header_ = false;
}

std::string Table::TakeTrailingBlanks(Draft* d) {
  // Empty lines at the end of the table belong before the rows appended after them, as a
  // fresh load of the file would attach them.
  Version& v = *d->v;
  std::optional<RowRef> last;
  for (auto b = v.blocks_.rbegin(); b != v.blocks_.rend() && !last; ++b) {
    for (uint32_t i = b->count; i-- > 0;) {
      const RowRef ref{b->block->seq(), i};
      if (v.RowBytes(ref)) {
        last = ref;
        break;
      }
    }
  }
  const std::string_view bytes = last ? *v.RowBytes(*last) : v.header();
  const size_t trail = TrailingBlankBytes(bytes);
  if (trail == 0) return "";
  std::string blanks(bytes.substr(bytes.size() - trail));
  auto rest = std::make_shared<const std::string>(bytes.substr(0, bytes.size() - trail));
  if (last) {
    (void)SetRow(d, *last, std::move(rest));
  } else {
    v.header_ = std::move(rest);
    v.size_ -= trail;
  }
  return blanks;
}

void Table::AppendRow(Draft* d, const RowData& row) {
  Version& v = *d->v;
  if (!append_block_ || v.blocks_.empty() || v.blocks_.back().block != append_block_) {
    uint64_t raw = 0;
    if (!v.blocks_.empty()) {
      const BlockRange& last = v.blocks_.back();
      raw = last.raw_start + last.block->Start(last.count);
    }
    append_block_ = RowBlock::NewHeap(next_seq_++);
    v.blocks_.push_back(BlockRange{append_block_, 0, raw});
  }
  uint64_t id = key_mode() ? 0 : NumericId(row.id);
  append_block_->AddHeapRow(row.bytes, id);
  RowRef ref{append_block_->seq(), v.blocks_.back().count++};
  if (key_mode()) {
    key_index_.Set(row.id, ref, [&v](RowRef r, std::string_view key) {
      return RowHasKeyIn(v, r, key);
    });
  }
  if (id >= next_id_) next_id_ = id + 1;
  v.size_ += row.bytes.size();
  ++v.rows_;
  if (!row.bytes.ends_with('\n')) unterminated_row_ = ref;
}

Status Table::ApplyChange(const Op& op, Draft* d) {
  Version& v = *d->v;
  if (op.set_header) {
    if (v.header_) d->changed_middle = true;
    v.size_ = v.size_ - v.header().size() + op.header.size();
    v.header_ = std::make_shared<const std::string>(op.header);
    v.field_count_ = CountFields(op.header);
    v.eol_ = op.header.ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
    unterminated_header_ = !op.header.ends_with('\n');
    if (key_mode()) {
      auto col = ResolveKeyColumn(op.header);
      if (!col.ok()) return col.status();
      key_column_ = v.key_column_ = col.value();
    }
  }
  for (const auto& id : op.deletes) {
    auto ref = Find(id);
    if (!ref) return Status::Corruption("delete of missing row '" + id + "'");
    CSVFS_RETURN_IF_ERROR(SetRow(d, *ref, nullptr));
    if (key_mode()) key_index_.Erase(id, *ref);
    d->erased.push_back(id);
    d->changed_middle = true;
  }
  for (const auto& row : op.updates) {
    auto ref = Find(row.id);
    if (!ref) return Status::Corruption("update of missing row '" + row.id + "'");
    // Empty lines kept with the old row stay where they are.
    const std::string_view old = v.RowBytes(*ref).value_or(std::string_view());
    const size_t lead = LeadingBlankBytes(old), trail = TrailingBlankBytes(old);
    std::string content = std::string(old.substr(0, lead)) + row.bytes;
    if (trail > 0) content += old.substr(old.size() - trail);
    const bool same = v.RowBytes(*ref).has_value() && old == content;
    CSVFS_RETURN_IF_ERROR(SetRow(d, *ref, std::make_shared<const std::string>(std::move(content))));
    std::string new_id = row.id;
    if (key_mode()) {
      auto key = KeyOf(row.bytes);
      if (!key.ok()) return Status::Corruption("update without a valid key");
      key_index_.Erase(row.id, *ref);
      key_index_.Set(key.value(), *ref, [&v](RowRef r, std::string_view k) {
        return RowHasKeyIn(v, r, k);
      });
      new_id = key.value();
    }
    if (new_id != row.id) d->erased.push_back(row.id);
    if (!same || new_id != row.id) d->stamped.push_back(std::move(new_id));
    d->changed_middle = true;
  }
  if (!op.appends.empty()) {
    if (v.field_count_ == 0 && !cfg_.header) {
      v.field_count_ = CountFields(op.appends[0].bytes);
      v.eol_ = op.appends[0].bytes.ends_with("\r\n") ? LineEnding::kCRLF : LineEnding::kLF;
      if (key_mode()) {
        auto col = ResolveKeyColumn(op.appends[0].bytes);
        if (!col.ok()) return col.status();
        key_column_ = v.key_column_ = col.value();
      }
    }
    FixMissingEol(d);
    const std::string blanks = TakeTrailingBlanks(d);
    for (size_t i = 0; i < op.appends.size(); ++i) {
      const RowData& row = op.appends[i];
      if (i == 0 && !blanks.empty()) {
        AppendRow(d, RowData{row.id, blanks + row.bytes});
      } else {
        AppendRow(d, row);
      }
      if (key_mode()) {
        d->stamped.push_back(row.id);
      } else if (d->appended_from == 0) {
        d->appended_from = NumericId(row.id);  // the op's ids are consecutive
      }
    }
  }
  return Status::Ok();
}

Status Table::CheckChange(const Op& op) const {
  if (op.set_header && key_mode()) CSVFS_RETURN_IF_ERROR(ResolveKeyColumn(op.header).status());
  std::unordered_map<std::string, bool> gone;  // ids deleted by this op so far
  for (const auto& id : op.deletes) {
    if (!Find(id) || gone.count(id)) return Status::Corruption("delete of missing row '" + id + "'");
    gone[id] = true;
  }
  for (const auto& row : op.updates) {
    if (!Find(row.id) || gone.count(row.id)) {
      return Status::Corruption("update of missing row '" + row.id + "'");
    }
    if (key_mode() && !KeyOf(row.bytes).ok()) return Status::Corruption("update without a valid key");
  }
  if (!op.appends.empty() && current_->field_count_ == 0 && !cfg_.header && key_mode()) {
    CSVFS_RETURN_IF_ERROR(ResolveKeyColumn(op.appends[0].bytes).status());
  }
  return Status::Ok();
}

Status Table::Apply(const Op& op) {
  // All or nothing: a change op is checked before anything is touched (its steps cannot fail
  // after that); a rewrite builds a new block, and the few counters it moves are put back.
  if (op.type == Op::Type::kChange) CSVFS_RETURN_IF_ERROR(CheckChange(op));
  const uint32_t saved_seq = next_seq_;
  const uint64_t saved_id = next_id_;
  const int saved_key_column = key_column_;
  Draft d;
  d.v = std::make_shared<Version>(*current_);
  Snapshot before = current_;
  Status s = op.type == Op::Type::kRewrite ? ApplyRewrite(op, &d) : ApplyChange(op, &d);
  if (!s.ok()) {
    next_seq_ = saved_seq;
    next_id_ = saved_id;
    key_column_ = saved_key_column;
    return s;
  }
  Version& v = *d.v;
  v.number_ = before->number_ + 1;
  v.mtime_ns_ = op.time_ns;
  if (d.changed_middle) v.lineage_ = before->lineage_ + 1;
  v.key_column_ = key_column_;
  // Make Find() and friends (which read current_) see the new state.
  current_ = d.v;
  if (op.type == Op::Type::kRewrite && !d.key_index_done) RebuildKeyIndex();
  Stamp(op, &d);
  return Status::Ok();
}

void Table::Stamp(const Op& op, Draft* d) {
  Version& v = *d->v;
  for (const auto& id : d->erased) v.stamps_ = v.stamps_.Erase(id);
  if (d->prune_stamps) {  // O(k log k): only rows changed since the load are visited
    std::vector<std::string> gone;
    v.stamps_.ForEach([&](std::string_view id, ChangeStamp) {
      if (!Find(id)) gone.emplace_back(id);
      return true;
    });
    for (const auto& id : gone) v.stamps_ = v.stamps_.Erase(id);
  }
  const ChangeStamp now{v.number_, op.time_ns};
  for (const auto& id : d->stamped) v.stamps_ = v.stamps_.Set(id, now);
  if (d->appended_from != 0) v.stamps_ = v.stamps_.AddAppendRun(d->appended_from, now);
}

}  // namespace csvfs::core
