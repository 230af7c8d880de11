#include "core/merge.h"

#include <algorithm>
#include <unordered_map>

#include "core/csv.h"
#include "core/image_tail.h"
#include "core/merge_internal.h"
#include "core/schema_map.h"
#include "core/table.h"

namespace csvfs::core {

using merge_internal::Image;
using merge_internal::kNew;
using merge_internal::Row;

namespace {

std::vector<Row> RowsOf(const Version& v) {
  std::vector<Row> rows;
  rows.reserve(v.row_count());
  v.ForEachRow([&](std::string_view id, std::string_view bytes, RowRef) {
    rows.push_back(Row{std::string(id), bytes});
    return true;
  });
  return rows;
}

Result<Image> ParseImage(const Table& table, std::string_view image) {
  std::vector<RecordSpan> spans;
  CSVFS_RETURN_IF_ERROR(ScanRecordsFolded(image, &spans));  // empty lines are not records
  Image img;
  uint32_t want = 0;
  int key_col = table.key_column();
  size_t first = 0;
  const TableConfig& cfg = table.config();
  if (cfg.header && !spans.empty()) {
    img.has_header = true;
    std::string_view hdr = image.substr(spans[0].begin, spans[0].next - spans[0].begin);
    img.header = spans[0].eol() == LineEnding::kNone ? table.Normalize(hdr) : std::string(hdr);
    want = spans[0].fields;
    first = 1;
    if (table.key_mode()) {
      auto col = table.ResolveKeyColumn(img.header);
      if (!col.ok()) return col.status();
      key_col = col.value();
    }
  }
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = first; i < spans.size(); ++i) {
    const RecordSpan& sp = spans[i];
    std::string_view rec = image.substr(sp.begin, sp.next - sp.begin);
    if (want == 0) want = sp.fields;
    CSVFS_RETURN_IF_ERROR(table.CheckRecord(rec, sp.fields, want));
    img.records.push_back(sp.eol() == LineEnding::kNone ? table.Normalize(rec) : std::string(rec));
    if (table.key_mode()) {
      if (key_col < 0) {
        auto col = table.ResolveKeyColumn(rec);
        if (!col.ok()) return col.status();
        key_col = col.value();
      }
      auto key = Table::KeyAt(rec, key_col);
      if (!key.ok()) return key.status();
      if (!seen.emplace(key.value(), i).second) {
        return Status::Exists("duplicate key '" + key.value() + "' in the new content");
      }
      img.keys.push_back(std::move(key.value()));
    }
  }
  return img;
}

constexpr size_t kPairWindow = 8;

// Common prefix plus common suffix, line endings excluded.
size_t Similarity(std::string_view a, std::string_view b) {
  while (!a.empty() && (a.back() == '\n' || a.back() == '\r')) a.remove_suffix(1);
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.remove_suffix(1);
  size_t n = std::min(a.size(), b.size()), p = 0, q = 0;
  while (p < n && a[p] == b[p]) ++p;
  while (q < n - p && a[a.size() - 1 - q] == b[b.size() - 1 - q]) ++q;
  return p + q;
}

}  // namespace

// For each image record, the base row it continues (or kNew).
std::vector<int64_t> merge_internal::MatchRows(bool key_mode, const std::vector<Row>& base,
                                               const Image& img) {
  std::vector<int64_t> match(img.records.size(), kNew);
  std::vector<bool> used(base.size(), false);
  if (key_mode) {
    std::unordered_map<std::string_view, size_t> by_key;
    for (size_t b = 0; b < base.size(); ++b) by_key.emplace(base[b].id, b);
    for (size_t j = 0; j < img.records.size(); ++j) {
      auto it = by_key.find(img.keys[j]);
      if (it != by_key.end()) match[j] = int64_t(it->second);
    }
    return match;
  }
  // Identical content first (any order: survives sorting), then changed rows paired with
  // the unmatched base row that follows the previous record's row (edits in place).
  std::unordered_map<std::string_view, std::vector<size_t>> by_content;
  for (size_t b = base.size(); b-- > 0;) by_content[base[b].bytes].push_back(b);
  for (size_t j = 0; j < img.records.size(); ++j) {
    auto it = by_content.find(img.records[j]);
    if (it == by_content.end() || it->second.empty()) continue;
    match[j] = int64_t(it->second.back());
    used[size_t(match[j])] = true;
    it->second.pop_back();
  }
  // Changed rows: pair each with the most similar unmatched base row among the next few
  // after the previous record's row (an edit in place); with nothing similar it is new.
  size_t cursor = 0;
  for (size_t j = 0; j < img.records.size(); ++j) {
    if (match[j] != kNew) {
      cursor = size_t(match[j]) + 1;
      continue;
    }
    size_t best = base.size(), best_score = 0, seen = 0;
    for (size_t b = cursor; b < base.size() && seen < kPairWindow; ++b) {
      if (used[b]) continue;
      ++seen;
      size_t score = Similarity(base[b].bytes, img.records[j]);
      if (score > best_score) {
        best = b;
        best_score = score;
      }
    }
    if (best == base.size() && cursor < base.size() && !used[cursor]) {
      // Nothing similar, but one record replaces one row between the same neighbours.
      bool next_follows = j + 1 == img.records.size() ? cursor + 1 == base.size()
                                                      : match[j + 1] == int64_t(cursor + 1);
      if (next_follows) best = cursor;
    }
    if (best == base.size()) continue;
    match[j] = int64_t(best);
    used[best] = true;
    cursor = best + 1;
  }
  return match;
}

Result<MergeResult> MergeRewrite(const Table& table, const Version& base, std::string_view image,
                                 bool try_append_only) {
  // Most rewrites race only appends (sed -i while others append): merged from the bytes that
  // differ, in time and memory proportional to the difference.
  if (try_append_only) {
    auto plan = merge_internal::PrepareAppendOnly(merge_internal::MergeContext::Of(table),
                                                  table.current(), base, image);
    if (plan && !plan->ok()) return plan->status();
    if (plan) {
      if (auto done = merge_internal::FinishAppendOnly(table, std::move(plan->value()))) {
        return std::move(*done);
      }
    }
  }
  auto parsed = ParseImage(table, image);
  if (!parsed.ok()) return parsed.status();
  const Image& img = parsed.value();
  const Version& cur = *table.current();
  std::vector<Row> base_rows = RowsOf(base);
  std::vector<Row> cur_rows = RowsOf(cur);
  std::unordered_map<std::string_view, size_t> cur_index, base_index;
  for (size_t i = 0; i < cur_rows.size(); ++i) cur_index.emplace(cur_rows[i].id, i);
  for (size_t i = 0; i < base_rows.size(); ++i) base_index.emplace(base_rows[i].id, i);
  std::vector<int64_t> match = merge_internal::MatchRows(table.key_mode(), base_rows, img);

  MergeResult res;
  Op& op = res.op;
  op.type = Op::Type::kRewrite;
  std::vector<bool> base_kept(base_rows.size(), false), cur_used(cur_rows.size(), false);
  uint64_t next_id = table.next_id();
  // Output rows in the writer's order; `cur_pos` is the row's index in the current version.
  struct Out {
    RewriteEntry e;
    int64_t cur_pos;
  };
  std::vector<Out> out;
  // Rows others added that the image also holds verbatim were seen by the writer (it read
  // past its base snapshot): the same change on both sides is applied once.
  std::unordered_map<std::string_view, std::vector<size_t>> others_by_bytes;
  if (!table.key_mode()) {
    for (size_t i = cur_rows.size(); i-- > 0;) {
      if (!base_index.count(cur_rows[i].id)) others_by_bytes[cur_rows[i].bytes].push_back(i);
    }
  }
  for (size_t j = 0; j < img.records.size(); ++j) {
    const std::string& rec = img.records[j];
    if (match[j] == kNew && !others_by_bytes.empty()) {
      auto it = others_by_bytes.find(rec);
      if (it != others_by_bytes.end() && !it->second.empty()) {
        size_t i = it->second.back();
        it->second.pop_back();
        cur_used[i] = true;
        out.push_back({RewriteEntry{true, cur_rows[i].id, ""}, int64_t(i)});
        continue;
      }
    }
    if (match[j] == kNew) {
      std::string id = table.key_mode() ? img.keys[j] : std::to_string(next_id++);
      auto c = cur_index.find(id);
      int64_t pos = -1;
      if (c != cur_index.end()) {  // others inserted the same key meanwhile
        pos = int64_t(c->second);
        cur_used[c->second] = true;
        if (cur_rows[c->second].bytes != rec) {
          res.conflicts.push_back({id, std::string(cur_rows[c->second].bytes), rec});
        }
      }
      out.push_back({RewriteEntry{false, std::move(id), rec}, pos});
      continue;
    }
    const Row& b = base_rows[size_t(match[j])];
    base_kept[size_t(match[j])] = true;
    auto c = cur_index.find(b.id);
    int64_t pos = c == cur_index.end() ? -1 : int64_t(c->second);
    if (pos >= 0) cur_used[size_t(pos)] = true;
    if (rec == b.bytes) {  // the writer left this row alone: the current state wins
      if (pos >= 0) out.push_back({RewriteEntry{true, b.id, ""}, pos});
      continue;
    }
    if (pos < 0) {
      res.conflicts.push_back({b.id, "", rec});
    } else if (cur_rows[size_t(pos)].bytes != b.bytes) {
      res.conflicts.push_back({b.id, std::string(cur_rows[size_t(pos)].bytes), rec});
    }
    out.push_back({RewriteEntry{false, b.id, rec}, pos});
  }
  // Rows the writer deleted: others' changes to them are overridden (and reported).
  for (size_t b = 0; b < base_rows.size(); ++b) {
    if (base_kept[b]) continue;
    auto c = cur_index.find(base_rows[b].id);
    if (c == cur_index.end()) continue;
    cur_used[c->second] = true;
    if (cur_rows[c->second].bytes != base_rows[b].bytes) {
      res.conflicts.push_back({base_rows[b].id, std::string(cur_rows[c->second].bytes), ""});
    }
  }
  // Rows others added (not in base): after their predecessor in the current order, or at
  // the end when only added rows follow them there.
  std::vector<std::vector<size_t>> after(cur_rows.size());
  std::vector<size_t> head, tail;
  size_t last_base_in_cur = 0;
  bool any_base = false;
  for (size_t i = 0; i < cur_rows.size(); ++i) {
    if (base_index.count(cur_rows[i].id)) {
      last_base_in_cur = i;
      any_base = true;
    }
  }
  std::vector<bool> in_out(cur_rows.size(), false);
  for (const auto& o : out) {
    if (o.cur_pos >= 0) in_out[size_t(o.cur_pos)] = true;
  }
  int64_t anchor = -1;
  for (size_t i = 0; i < cur_rows.size(); ++i) {
    bool in_base = base_index.count(cur_rows[i].id) > 0;
    if (!in_base && !cur_used[i]) {
      if (!any_base || i > last_base_in_cur) tail.push_back(i);
      else if (anchor < 0) head.push_back(i);
      else after[size_t(anchor)].push_back(i);
      continue;
    }
    if (in_out[i]) anchor = int64_t(i);
  }
  auto keep_cur = [&](size_t i) { op.entries.push_back(RewriteEntry{true, cur_rows[i].id, ""}); };
  for (size_t i : head) keep_cur(i);
  for (auto& o : out) {
    op.entries.push_back(std::move(o.e));
    if (o.cur_pos >= 0) {
      for (size_t i : after[size_t(o.cur_pos)]) keep_cur(i);
    }
  }
  for (size_t i : tail) keep_cur(i);
  // Rewritten rows whose bytes equal the current ones are kept as they are.
  for (auto& e : op.entries) {
    if (e.keep) continue;
    auto c = cur_index.find(e.id);
    if (c != cur_index.end() && cur_rows[c->second].bytes == e.bytes) {
      e.keep = true;
      e.bytes.clear();
    }
  }
  // The header: the writer's if it changed it, else the current one.
  std::string base_header(base.header());
  if (img.has_header ? img.header != base_header : !base_header.empty() && table.config().header) {
    op.set_header = true;
    op.header = img.header;
  }
  // Rows written under another header are carried into the one this commit leaves.
  auto base_row = [&](std::string_view id) -> std::optional<std::string_view> {
    auto b = base_index.find(id);
    return b == base_index.end() ? std::nullopt : std::optional(base_rows[b->second].bytes);
  };
  CSVFS_RETURN_IF_ERROR(FitRowsToHeader(table, base, base_row, &op, &res.conflicts));
  KeepMissingFinalEol(table, image, &op);  // no line ending added to an image without one
  bool same = !op.set_header && op.entries.size() == cur_rows.size();
  for (size_t i = 0; same && i < cur_rows.size(); ++i) {
    same = op.entries[i].keep && op.entries[i].id == cur_rows[i].id;
  }
  res.no_change = same;
  return res;
}

}  // namespace csvfs::core
