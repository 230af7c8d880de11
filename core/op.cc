#include "core/op.h"

#include "core/journal.h"

namespace csvfs::core {

namespace {

constexpr uint8_t kBaseTag = 0;
constexpr uint32_t kBaseFormat = 2;

void PutRows(std::string* out, const std::vector<RowData>& rows) {
  PutU32(out, uint32_t(rows.size()));
  for (const auto& r : rows) {
    PutBytes(out, r.id);
    PutBytes(out, r.bytes);
  }
}

bool GetString(std::string_view* in, std::string* s) {
  std::string_view v;
  if (!GetBytes(in, &v)) return false;
  s->assign(v);
  return true;
}

bool GetRows(std::string_view* in, std::vector<RowData>* rows) {
  uint32_t n;
  if (!GetU32(in, &n) || n > in->size()) return false;
  rows->resize(n);
  for (auto& r : *rows) {
    if (!GetString(in, &r.id) || !GetString(in, &r.bytes)) return false;
  }
  return true;
}

}  // namespace

std::string Op::Encode() const {
  std::string out;
  out.push_back(char(type));
  PutU64(&out, lsn);
  PutU64(&out, uint64_t(time_ns));
  out.push_back(set_header ? 1 : 0);
  PutBytes(&out, header);
  if (type == Type::kChange) {
    PutU32(&out, uint32_t(deletes.size()));
    for (const auto& d : deletes) PutBytes(&out, d);
    PutRows(&out, updates);
    PutRows(&out, appends);
  } else {
    PutU32(&out, uint32_t(entries.size()));
    // Entry tags: 0 new bytes, 1 keep one row, 2 keep a run of rows (u64 count follows).
    for (const auto& e : entries) {
      const bool run = e.keep && e.run != 1;
      out.push_back(run ? 2 : e.keep ? 1 : 0);
      PutBytes(&out, e.id);
      if (!e.keep) PutBytes(&out, e.bytes);
      if (run) PutU64(&out, e.run);
    }
  }
  return out;
}

Result<Op> Op::Decode(std::string_view in) {
  Op op;
  auto bad = [] { return Status::Corruption("malformed journal record"); };
  if (in.empty()) return bad();
  uint8_t t = uint8_t(in[0]);
  in.remove_prefix(1);
  if (t != uint8_t(Type::kChange) && t != uint8_t(Type::kRewrite)) return bad();
  op.type = Type(t);
  uint64_t time;
  if (!GetU64(&in, &op.lsn) || !GetU64(&in, &time) || in.empty()) return bad();
  op.time_ns = int64_t(time);
  if (uint8_t(in[0]) > 1) return bad();
  op.set_header = in[0] != 0;
  in.remove_prefix(1);
  if (!GetString(&in, &op.header)) return bad();
  uint32_t n;
  if (!GetU32(&in, &n) || n > in.size()) return bad();
  if (op.type == Type::kChange) {
    op.deletes.resize(n);
    for (auto& d : op.deletes) {
      if (!GetString(&in, &d)) return bad();
    }
    if (!GetRows(&in, &op.updates) || !GetRows(&in, &op.appends)) return bad();
  } else {
    op.entries.resize(n);
    for (auto& e : op.entries) {
      if (in.empty() || uint8_t(in[0]) > 2) return bad();
      const uint8_t tag = uint8_t(in[0]);
      e.keep = tag != 0;
      in.remove_prefix(1);
      if (!GetString(&in, &e.id)) return bad();
      if (!e.keep && !GetString(&in, &e.bytes)) return bad();
      if (tag == 2 && (!GetU64(&in, &e.run) || e.run == 0)) return bad();
    }
  }
  if (!in.empty()) return bad();
  return op;
}

std::string JournalBase::Encode() const {
  std::string out;
  out.push_back(char(kBaseTag));
  PutU32(&out, kBaseFormat);
  PutU64(&out, backing_size);
  PutU32(&out, backing_crc);
  PutU64(&out, lsn);
  PutU64(&out, next_id);
  PutU64(&out, number);
  PutU64(&out, lineage);
  PutU64(&out, uint64_t(mtime_ns));
  PutU32(&out, flags);
  PutU64(&out, id_runs.size());
  for (const auto& [first, count] : id_runs) {
    PutU64(&out, first);
    PutU64(&out, count);
  }
  return out;
}

Result<JournalBase> JournalBase::Decode(std::string_view in) {
  JournalBase b;
  auto bad = [] { return Status::Corruption("malformed journal base record"); };
  uint32_t format;
  uint64_t mtime, runs;
  if (!IsBase(in)) return bad();
  in.remove_prefix(1);
  if (!GetU32(&in, &format) || format != kBaseFormat) return bad();
  if (!GetU64(&in, &b.backing_size) || !GetU32(&in, &b.backing_crc) || !GetU64(&in, &b.lsn) ||
      !GetU64(&in, &b.next_id) || !GetU64(&in, &b.number) || !GetU64(&in, &b.lineage) ||
      !GetU64(&in, &mtime) || !GetU32(&in, &b.flags) || !GetU64(&in, &runs) ||
      runs > in.size() / 16) {
    return bad();
  }
  b.mtime_ns = int64_t(mtime);
  b.id_runs.resize(runs);
  for (auto& [first, count] : b.id_runs) {
    if (!GetU64(&in, &first) || !GetU64(&in, &count)) return bad();
  }
  if (!in.empty()) return bad();
  return b;
}

uint64_t JournalBase::IdCount() const {
  uint64_t n = 0;
  for (const auto& r : id_runs) n += r.second;
  return n;
}

std::vector<std::pair<uint64_t, uint64_t>> ToIdRuns(const std::vector<uint64_t>& ids) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (uint64_t id : ids) {
    if (!runs.empty() && runs.back().first + runs.back().second == id) {
      ++runs.back().second;
    } else {
      runs.emplace_back(id, 1);
    }
  }
  return runs;
}

}  // namespace csvfs::core
