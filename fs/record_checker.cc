#include "fs/record_checker.h"

#include <charconv>
#include <string_view>
#include <vector>

namespace csvfs::fs {
namespace {

std::string_view StripEol(std::string_view record) {
  if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
  if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
  return record;
}

constexpr size_t kChunk = 64 * 1024;

}  // namespace

RecordChecker::RecordChecker(RecordRules rules, uint64_t checked_end, bool active)
    : initial_(rules),
      rules_(std::move(rules)),
      active_(active),
      next_(checked_end),
      records_(rules_.records_before) {}

void RecordChecker::AfterTruncate(uint64_t size) {
  if (size == 0) {  // emptied: checking starts over
    rules_ = initial_;
    rules_.records_before = 0;
    records_ = 0;
    next_ = 0;
    scanner_.Reset();
    active_ = true;
    return;
  }
  // Anything else but a no-op (growth, or a cut into written bytes) is checked at close.
  if (size != next_ || !scanner_.pending().empty()) active_ = false;
}

core::Status RecordChecker::AfterWrite(const RewriteImage& image, uint64_t off, uint64_t len) {
  if (!active_) return core::Status::Ok();
  if (off != next_) {  // out of order: the close checks the whole image
    active_ = false;
    return core::Status::Ok();
  }
  next_ = off + len;
  std::string buf;
  core::Status bad;
  for (uint64_t pos = off; pos < off + len && bad.ok();) {
    buf.resize(std::min<uint64_t>(kChunk, off + len - pos));
    buf.resize(image.Read(pos, buf.data(), buf.size()));
    if (buf.empty()) break;
    pos += buf.size();
    core::Status s = scanner_.Feed(buf, [&](std::string_view record, const core::RecordSpan& sp) {
      if (bad.ok()) bad = Check(record, sp);
    });
    if (!s.ok()) bad = s;
  }
  if (!bad.ok()) active_ = false;
  return bad;
}

core::Status RecordChecker::Check(std::string_view record, const core::RecordSpan& sp) {
  if (sp.end == sp.begin) return core::Status::Ok();  // an empty line is not a record
  ++records_;
  if (rules_.row_file && records_ > 1) {
    return core::Status::Invalid("a row file must hold exactly one record, not " +
                                 std::to_string(records_));
  }
  if (rules_.field_count == 0) {
    rules_.field_count = sp.fields;  // the image's header (or first record)
  } else if (!rules_.ragged && sp.fields != rules_.field_count) {
    return core::Status::Invalid("record " + std::to_string(records_) + " has " +
                                 std::to_string(sp.fields) + " fields, the header has " +
                                 std::to_string(rules_.field_count));
  }
  if (rules_.row_file && rules_.key_column >= 0) {
    auto key = core::FieldValue(StripEol(record), static_cast<size_t>(rules_.key_column));
    if (!key.ok() || key.value() != rules_.key) {
      return core::Status::Invalid("key field '" + (key.ok() ? key.value() : std::string()) +
                                   "' does not match the file name '" + rules_.key + "'");
    }
  }
  return core::Status::Ok();
}

int KeyColumnIndex(std::string_view header, const std::string& key, bool has_header) {
  std::vector<std::string> names;
  if (!core::SplitFields(StripEol(header), &names).ok()) return -1;
  if (!has_header) {
    int col = 0;
    auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), col);
    if (ec != std::errc() || p != key.data() + key.size() || col < 1 ||
        static_cast<size_t>(col) > names.size()) {
      return -1;
    }
    return col - 1;
  }
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (!names.empty() && std::string_view(names[0]).substr(0, 3) == kBom) names[0].erase(0, 3);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == key) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace csvfs::fs
