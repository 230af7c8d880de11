#include "core/table.h"

#include <algorithm>
#include <charconv>

#include "core/csv.h"
#include "core/table_internal.h"

namespace csvfs::core {

using namespace table_internal;

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
