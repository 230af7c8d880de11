#include "core/schema_map.h"

#include <algorithm>
#include <unordered_map>

#include "core/table.h"

namespace csvfs::core {

namespace {

// Splits `record` into its text and what follows it (the line ending, and any blank lines
// kept with the record): the text ends at its last byte that is not CR or LF, since a
// record's text cannot end in a line break outside quotes.
std::pair<std::string_view, std::string_view> TextAndTail(std::string_view record) {
  size_t n = record.size();
  while (n > 0 && (record[n - 1] == '\n' || record[n - 1] == '\r')) --n;
  return {record.substr(0, n), record.substr(n)};
}

uint32_t CountFields(std::string_view record) {
  return uint32_t(FieldSpans(TextAndTail(record).first).size());
}

// The shape of the rows on each side, and the maps between them (built on first use).
struct Shapes {
  std::string_view target, ours, theirs;
  std::optional<Result<ColumnMap>> ours_map, theirs_map;

  static const Result<ColumnMap>& Get(std::optional<Result<ColumnMap>>* slot,
                                      std::string_view from, std::string_view to) {
    if (!*slot) *slot = MapColumns(from, to);
    return **slot;
  }
};

}  // namespace

Result<std::vector<std::string>> ColumnNames(std::string_view header) {
  std::vector<std::string> names;
  CSVFS_RETURN_IF_ERROR(SplitFields(TextAndTail(StripBom(header)).first, &names));
  return names;
}

Result<ColumnMap> MapColumns(std::string_view old_header, std::string_view new_header) {
  if (TextAndTail(old_header).first.empty() || TextAndTail(new_header).first.empty()) {
    return Status::Busy("the table has no header to map columns by name");
  }
  auto old_names = ColumnNames(old_header);
  auto new_names = ColumnNames(new_header);
  if (!old_names.ok() || !new_names.ok()) return Status::Busy("a header does not parse");
  std::unordered_map<std::string_view, int> old_index;
  for (size_t i = 0; i < old_names->size(); ++i) {
    const std::string& name = (*old_names)[i];
    if (name.empty()) return Status::Busy("the old header has an empty column name");
    if (!old_index.emplace(name, int(i)).second) {
      return Status::Busy("the old header names column '" + name + "' twice");
    }
  }
  ColumnMap map;
  std::unordered_map<std::string_view, int> seen;
  for (size_t i = 0; i < new_names->size(); ++i) {
    const std::string& name = (*new_names)[i];
    if (name.empty()) return Status::Busy("the new header has an empty column name");
    if (!seen.emplace(name, int(i)).second) {
      return Status::Busy("the new header names column '" + name + "' twice");
    }
    auto it = old_index.find(name);
    map.source.push_back(it == old_index.end() ? -1 : it->second);
  }
  // Renamed columns: as many old names unused as new names unknown, paired in order.
  std::vector<int> unused;
  std::vector<bool> used(old_names->size(), false);
  for (int src : map.source) {
    if (src >= 0) used[size_t(src)] = true;
  }
  for (size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) unused.push_back(int(i));
  }
  if (!unused.empty() && size_t(std::count(map.source.begin(), map.source.end(), -1)) == unused.size()) {
    size_t k = 0;
    for (int& src : map.source) {
      if (src < 0) src = unused[k++];
    }
  }
  map.identity = new_names->size() == old_names->size();
  for (size_t i = 0; map.identity && i < map.source.size(); ++i) {
    map.identity = map.source[i] == int(i);
  }
  return map;
}

std::vector<std::pair<size_t, size_t>> FieldSpans(std::string_view record, char delimiter) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  for (;;) {
    const size_t begin = pos;
    if (pos < record.size() && record[pos] == '"') {
      for (++pos; pos < record.size(); ++pos) {
        if (record[pos] != '"') continue;
        if (pos + 1 < record.size() && record[pos + 1] == '"') {
          ++pos;  // a doubled quote
          continue;
        }
        ++pos;  // the closing quote
        break;
      }
    }
    const size_t end = std::min(record.find(delimiter, pos), record.size());
    spans.emplace_back(begin, end);
    if (end == record.size()) return spans;
    pos = end + 1;
  }
}

std::string CarryRecord(std::string_view record, const ColumnMap& map, char delimiter) {
  auto [text, tail] = TextAndTail(record);
  const auto spans = FieldSpans(text, delimiter);
  std::string out;
  out.reserve(record.size());
  for (size_t i = 0; i < map.source.size(); ++i) {
    if (i > 0) out.push_back(delimiter);
    const int s = map.source[i];
    if (s >= 0 && size_t(s) < spans.size()) {
      out.append(text.substr(spans[size_t(s)].first, spans[size_t(s)].second - spans[size_t(s)].first));
    }
  }
  if (out.empty()) out = "\"\"";  // one empty field: an empty line would not be a record
  out.append(tail);
  return out;
}

Status FitRowsToHeader(const Table& table, const Version& base, const BaseRowFn& base_row,
                       Op* op, std::vector<Conflict>* conflicts) {
  if (table.config().ragged) return Status::Ok();
  const Version& cur = *table.current();
  // A kept row that the writer did not see as it is now was committed by others meanwhile.
  auto theirs = [&](const RewriteEntry& e, std::string_view* bytes) {
    auto now = table.RowBytes(e.id);
    *bytes = now ? *now : std::string_view();
    if (!e.keep || !now) return false;
    auto then = base_row(e.id);
    return !then || *then != *now;
  };
  if (!table.config().header) {
    // No names: the rewrite may not change the number of columns under others' rows.
    uint32_t writer = base.field_count();
    for (const auto& e : op->entries) {
      if (!e.keep) {
        writer = CountFields(e.bytes);
        break;
      }
    }
    if (writer == cur.field_count() && base.field_count() == cur.field_count()) return Status::Ok();
    std::string_view bytes;
    for (const auto& e : op->entries) {
      if (theirs(e, &bytes) && CountFields(bytes) != writer) {
        return Status::Busy("the rewrite changes the number of columns (to " +
                            std::to_string(writer) + ") of a table without header while row " +
                            e.id + " was committed meanwhile: its columns cannot be mapped");
      }
    }
    return Status::Ok();
  }
  Shapes sh;
  sh.target = op->set_header ? std::string_view(op->header) : cur.header();
  sh.ours = op->set_header ? std::string_view(op->header) : base.header();
  sh.theirs = cur.header();
  if (sh.ours == sh.target && sh.theirs == sh.target) return Status::Ok();
  for (auto& e : op->entries) {
    std::string_view bytes;
    const bool other = theirs(e, &bytes);
    if (!e.keep) bytes = e.bytes;
    const std::string_view from = other ? sh.theirs : sh.ours;
    if (from == sh.target || bytes.empty()) continue;
    const Result<ColumnMap>& map =
        Shapes::Get(other ? &sh.theirs_map : &sh.ours_map, from, sh.target);
    if (!map.ok()) {
      return Status::Busy("the header changed while row " + e.id +
                          " was committed meanwhile, and its columns cannot be carried into "
                          "the new header by name: " + map.status().message());
    }
    if (map->identity) continue;
    std::string carried = CarryRecord(bytes, map.value());
    if (carried == bytes) continue;
    auto now = table.RowBytes(e.id);
    auto seen = std::find_if(conflicts->begin(), conflicts->end(),
                             [&](const Conflict& c) { return c.id == e.id; });
    if (seen != conflicts->end()) {  // already a conflict of the merge: one report per row
      seen->ours = carried;
    } else {
      conflicts->push_back(Conflict{e.id, now ? std::string(*now) : std::string(), carried});
    }
    e.keep = false;
    e.bytes = std::move(carried);
  }
  return Status::Ok();
}

}  // namespace csvfs::core
