// The append-only fast path of the rewrite merge (see merge_internal.h).
//
// With the same lineage, the current version `cur` is `base` followed by rows others appended
// (A). The image is an edit of the base, cur's first t+1 rows:
//   image = cur[0, kp) + middle records + cur[s0, t]
// where the prefix and suffix are found by comparing bytes. Rows cur(t, N) are appended rows
// the writer never saw: they stay at the end (an image that holds one of them verbatim goes to
// the general merge, which counts it once). No row of cur[0, t] was changed by anyone but
// the writer, so there are no conflicts; the middle records are matched against cur[kp, s0)
// exactly as the general merge matches them.
#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/csv.h"
#include "core/merge_internal.h"
#include "core/resident_pages.h"
#include "core/table.h"

namespace csvfs::core::merge_internal {
namespace {

// Length of the common prefix of v's bytes and `image`.
uint64_t CommonPrefix(const Version& v, std::string_view image) {
  const uint64_t n = std::min<uint64_t>(v.size(), image.size());
  uint64_t same = 0;
  bool differs = false;
  constexpr size_t kChunk = size_t{8} << 20;  // both sides' pages leave the RSS as it goes
  v.ReadPieces(0, n, [&](std::string_view piece) {
    while (!differs && !piece.empty()) {
      const size_t len = std::min(piece.size(), kChunk);
      const char* img = image.data() + same;
      const bool equal = std::memcmp(piece.data(), img, len) == 0;
      NoteMappedRead(2 * len);  // the table's mapping and the image's (a mapped scratch file)
      if (equal) {
        same += len;
        piece.remove_prefix(len);
        continue;
      }
      size_t i = 0;
      while (piece[i] == img[i]) ++i;
      same += i;
      differs = true;
    }
  });
  return same;
}

// Length of the common suffix of v's bytes [0, end) and `image`.
uint64_t CommonSuffix(const Version& v, uint64_t end, std::string_view image) {
  constexpr uint64_t kWindow = 1 << 20;
  const uint64_t n = std::min<uint64_t>(end, image.size());
  uint64_t same = 0;
  std::string buf;
  while (same < n) {
    const uint64_t len = std::min(kWindow, n - same);
    buf.resize(len);
    v.Read(end - same - len, buf.data(), len);
    const char* img = image.data() + image.size() - same - len;
    NoteMappedRead(len);
    if (std::memcmp(buf.data(), img, len) == 0) {
      same += len;
      continue;
    }
    uint64_t i = len;
    while (buf[i - 1] == img[i - 1]) --i;
    return same + (len - i);
  }
  return same;
}

struct TailRow {
  std::string id;
  std::string_view bytes;
  uint64_t end = 0;  // byte offset after the row in cur
};

}  // namespace

MergeContext MergeContext::Of(const Table& table) {
  MergeContext c;
  c.key_mode = table.key_mode();
  c.key_column = table.key_column();
  c.ragged = table.config().ragged;
  c.max_record_bytes = table.config().max_record_bytes;
  return c;
}

std::optional<Result<AppendOnlyPlan>> PrepareAppendOnly(const MergeContext& ctx, Snapshot cur_snap,
                                                        const Version& base,
                                                        std::string_view image) {
  using R = Result<AppendOnlyPlan>;
  const Version& cur = *cur_snap;
  const uint64_t n = base.row_count(), total = cur.row_count();
  if (cur.lineage() != base.lineage() || cur.number() < base.number()) return std::nullopt;
  if (n == 0 || total < n || cur.field_count() == 0) return std::nullopt;
  // A base without a final line ending had it supplied by the first append: bytes differ.
  char last = 0;
  if (base.Read(base.size() - 1, &last, 1) != 1 || last != '\n') return std::nullopt;
  const uint64_t header_end = cur.header().size();
  const uint64_t prefix = CommonPrefix(cur, image);
  if (prefix < header_end) return std::nullopt;  // the header changed

  // Rows are found by byte offset (O(log) each), never by walking the table: the work is
  // the rows between prefix and suffix plus the rows appended since the base.
  auto id_at = [&](uint64_t ordinal) {
    std::string out;
    if (auto ref = cur.RefAt(ordinal)) {
      cur.ForEachRowFrom(*ref, [&](std::string_view id, std::string_view, RowRef) {
        out = id;
        return false;
      });
    }
    return out;
  };
  // Base rows wholly inside the common prefix (each base row ends with its line ending).
  const uint64_t kp = std::min(n, cur.OrdinalAt(prefix));
  const uint64_t pre_end = kp == 0 ? header_end : cur.RowOffset(kp);
  // The rows from the last base row on: it and the rows appended after it.
  std::vector<TailRow> tail;
  RowRef last_row;
  {
    uint64_t off = cur.RowOffset(n - 1);
    cur.ForEachRowFrom(*cur.RefAt(n - 1), [&](std::string_view id, std::string_view bytes, RowRef ref) {
      last_row = ref;
      off += bytes.size();
      tail.push_back({std::string(id), bytes, off});
      return true;
    });
  }
  if (tail.empty()) return std::nullopt;
  // t: the last row the writer saw, the base's last (a reader that reads on past its snapshot
  // has its base grown to what it read: fs/pid_snapshots.h). Guessing it from the image's last
  // bytes would take an appended row equal to a base row for one the writer saw (fuzz_merge).
  const size_t t_at = 0;
  const uint64_t t = n - 1, end_t = tail[t_at].end;
  // An append may rewrite the last base row (a supplied line ending, empty lines moved to the
  // appended row): then cur's first rows are not the base's bytes.
  if (end_t != base.size()) return std::nullopt;
  const uint64_t suffix = CommonSuffix(cur, end_t, image);
  // The suffix starts at a row of cur[kp, t+1] that begins at or after both limits.
  const uint64_t limit =
      std::max(end_t - std::min(end_t, suffix), end_t + pre_end - std::min<uint64_t>(end_t + pre_end, image.size()));

  // The middle rows cur[kp, s0) and the ids that start the two runs.
  uint64_t s0 = 0;
  if (limit > header_end) {
    s0 = cur.OrdinalAt(limit);
    if (s0 < total && cur.RowOffset(s0) != limit) ++s0;
  }
  s0 = std::min(std::max(s0, kp), t + 1);
  const uint64_t s0_start = s0 <= t ? cur.RowOffset(s0) : end_t;
  std::vector<Row> middle;
  if (s0 > kp) {
    middle.reserve(s0 - kp);
    cur.ForEachRowFrom(*cur.RefAt(kp), [&](std::string_view id, std::string_view bytes, RowRef) {
      middle.push_back({std::string(id), bytes});
      return middle.size() < s0 - kp;
    });
  }
  const std::string first_id = kp > 0 ? id_at(0) : std::string();
  const std::string suffix_id = s0 < total ? id_at(s0) : std::string();

  // The image's middle records: whole records, exactly between the prefix and the suffix.
  const uint64_t mid_end = image.size() - (end_t - s0_start);
  std::string_view mid = image.substr(pre_end, mid_end - pre_end);
  std::vector<RecordSpan> spans;
  // Empty lines are folded into the record after them; empty lines the middle holds apart
  // from any record (or an unterminated record before the suffix) are the general merge's.
  if (!ScanRecordsFolded(mid, &spans).ok()) return std::nullopt;  // the general merge reports it
  if (!mid.empty() && (spans.empty() || spans.front().begin != 0 || spans.back().next != mid.size())) {
    return std::nullopt;
  }
  // A last record without its line ending: the general merge decides what it becomes.
  if (!spans.empty() && spans.back().eol() == LineEnding::kNone) return std::nullopt;
  Image img;
  img.records.reserve(spans.size());
  // Records the general merge may refuse or treat otherwise (a record over the limit, another
  // field count: a refusal or a schema change; a key repeated) go to it: it reports them.
  std::unordered_set<std::string> seen;
  for (const RecordSpan& sp : spans) {
    std::string_view rec = mid.substr(sp.begin, sp.next - sp.begin);
    if (rec.size() > ctx.max_record_bytes) return std::nullopt;
    if (!ctx.ragged && sp.fields != cur.field_count()) return std::nullopt;
    img.records.emplace_back(rec);
    if (ctx.key_mode) {
      auto key = Table::KeyAt(rec, ctx.key_column);
      if (!key.ok() || !seen.insert(key.value()).second) return std::nullopt;
      img.keys.push_back(std::move(key.value()));
    }
  }
  std::vector<int64_t> match = MatchRows(ctx.key_mode, middle, img);

  // Cases the general merge decides otherwise: a new record whose key exists elsewhere (a
  // moved or duplicated key), appended rows the writer saw but dropped (they are kept there),
  // a record equal to an appended row the writer never saw (taken as that row there).
  std::vector<bool> matched(middle.size(), false);
  for (int64_t m : match) {
    if (m != kNew) matched[size_t(m)] = true;
  }
  for (size_t b = 0; b < middle.size(); ++b) {
    if (!matched[b] && kp + b >= n) return std::nullopt;
  }
  std::unordered_set<std::string_view> unseen;
  for (size_t k = t_at + 1; k < tail.size(); ++k) unseen.insert(tail[k].bytes);
  for (const std::string& rec : img.records) {
    if (unseen.count(rec)) return std::nullopt;
  }

  AppendOnlyPlan plan;
  plan.cur = std::move(cur_snap);
  plan.last_row = last_row;
  Op& op = plan.op;
  op.type = Op::Type::kRewrite;
  // Kept rows of cur in a row join the previous entry as one run: rows [from, from+count).
  uint64_t run_end = UINT64_MAX;  // cur row number after the last entry's run
  auto keep = [&](const std::string& id, uint64_t from, uint64_t count) {
    if (!op.entries.empty() && op.entries.back().keep && run_end == from) {
      op.entries.back().run += count;
    } else {
      op.entries.push_back(RewriteEntry{true, id, "", count});
    }
    run_end = from + count;
  };
  bool same = img.records.size() == middle.size();
  if (kp > 0) keep(first_id, 0, kp);
  for (size_t j = 0; j < img.records.size(); ++j) {
    if (match[j] == kNew) {
      same = false;
      plan.fresh.push_back(op.entries.size());
      op.entries.push_back(RewriteEntry{false, ctx.key_mode ? img.keys[j] : std::string(),
                                        std::move(img.records[j])});
      run_end = UINT64_MAX;
      continue;
    }
    const Row& b = middle[size_t(match[j])];
    if (b.bytes == img.records[j]) {
      same = same && match[j] == int64_t(j);
      keep(b.id, kp + uint64_t(match[j]), 1);
    } else {
      same = false;
      op.entries.push_back(RewriteEntry{false, b.id, std::move(img.records[j])});
      run_end = UINT64_MAX;
    }
  }
  if (total > s0) keep(suffix_id, s0, total - s0);
  plan.tail_run = run_end == total;
  plan.no_change = same;
  return R(std::move(plan));
}

std::optional<MergeResult> FinishAppendOnly(const Table& table, AppendOnlyPlan plan) {
  const Version& now = *table.current();
  const Version& was = *plan.cur;
  if (now.lineage() != was.lineage() || now.number() < was.number()) return std::nullopt;
  MergeResult res;
  if (plan.no_change) {
    res.no_change = true;
    return res;
  }
  Op& op = plan.op;
  // Rows appended since the plan was made: kept at the end.
  if (const uint64_t more = now.row_count() - was.row_count(); more > 0) {
    std::string first;
    int seen = 0;
    now.ForEachRowFrom(plan.last_row, [&](std::string_view id, std::string_view, RowRef) {
      if (++seen == 2) first = id;
      return seen < 2;
    });
    if (seen < 2) return std::nullopt;
    if (plan.tail_run) {
      op.entries.back().run += more;
    } else {
      op.entries.push_back(RewriteEntry{true, std::move(first), "", more});
    }
  }
  uint64_t next_id = table.next_id();
  for (size_t e : plan.fresh) {
    RewriteEntry& entry = op.entries[e];
    if (table.key_mode()) {
      if (table.Find(entry.id)) return std::nullopt;  // the key was taken meanwhile
    } else {
      entry.id = std::to_string(next_id++);
    }
  }
  res.op = std::move(op);
  return res;
}

}  // namespace csvfs::core::merge_internal
