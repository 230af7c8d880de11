#include "core/store.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <thread>

#include "core/env_util.h"
#include "core/journal.h"
#include "core/resident_pages.h"
#include "core/journal_file.h"
#include "spdlog/spdlog.h"

namespace csvfs::core {

namespace {

constexpr uint32_t kKeepId = std::numeric_limits<uint32_t>::max();

Result<std::string> Frame(std::string_view payload) {
  std::string f;
  CSVFS_RETURN_IF_ERROR(AppendJournalFrame(payload, &f));
  return f;
}

constexpr uint64_t kJournalPrealloc = uint64_t{4} << 20;

}  // namespace

StoreNames StoreNames::For(const std::string& backing_path) {
  StoreNames n;
  size_t slash = backing_path.rfind('/');
  n.dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : backing_path.substr(0, slash));
  n.name = slash == std::string::npos ? backing_path : backing_path.substr(slash + 1);
  n.journal = "." + n.name + ".csvfs-journal";
  n.journal_new = n.journal + ".new";
  n.tmp = "." + n.name + ".csvfs-tmp";
  n.lock = "." + n.name + ".csvfs-lock";
  n.ids = "." + n.name + ".csvfs-ids";
  n.ids_new = n.ids + ".new";
  return n;
}

Result<std::unique_ptr<Store>> Store::Open(Env* env, const std::string& backing_path, bool create,
                                           const TableConfig& cfg, Recovered* out) {
  StoreNames names = StoreNames::For(backing_path);
  if (names.name.empty()) return Status::Invalid(backing_path + ": not a file name");
  auto dir = env->OpenDirectory(names.dir);
  if (!dir.ok()) return dir.status();
  if (!dir.value()->Writable()) {
    return Status::NotPermitted("directory " + names.dir +
                                " is not writable (csvfs keeps its journal beside " + names.name +
                                ")");
  }
  std::unique_ptr<Store> store(new Store(env, std::move(dir.value()), names));
  auto lock = store->dir_->Lock(names.lock);
  if (!lock.ok()) {
    if (lock.status().code() == Code::kBusy) {
      return Status::Busy(backing_path + " is already served by another csvfs");
    }
    return lock.status();
  }
  store->lock_ = std::move(lock.value());
  store->flags_ = (cfg.header ? JournalBase::kBaseHeader : 0) |
                  (cfg.key_name.empty() ? 0 : JournalBase::kBaseKeyMode);
  CSVFS_RETURN_IF_ERROR(store->Recover(create, cfg, out));
  store->lock_->RemoveOnRelease();  // opened: a clean exit leaves no lock file behind
  return store;
}

Status Store::Recover(bool create, const TableConfig& cfg, Recovered* out) {
  const std::string path = JoinPath(names_.dir, names_.name);
  auto st = dir_->Stat(names_.name);
  if (!st.ok() && st.status().code() == Code::kNotFound) {
    if (!create) return Status::NotFound(path + ": no such file (-o create makes an empty table)");
    (void)dir_->Remove(names_.tmp);
    auto f = dir_->CreateExclusive(names_.tmp);
    if (!f.ok()) return f.status();
    CSVFS_RETURN_IF_ERROR(f.value()->SetModeOwner(0644, kKeepId, kKeepId));
    CSVFS_RETURN_IF_ERROR(f.value()->Sync());
    CSVFS_RETURN_IF_ERROR(f.value()->Close());
    CSVFS_RETURN_IF_ERROR(dir_->Rename(names_.tmp, names_.name));
    CSVFS_RETURN_IF_ERROR(dir_->Sync());
  } else if (!st.ok()) {
    return st.status();
  } else if (!st->regular) {
    return Status::Invalid(path + ": is a directory or other non-regular file, not a CSV file");
  } else if (st->nlink > 1) {
    // Checkpoints replace BACKING by rename, which would split the links; and a second daemon
    // reaching the file through another link would take another lock.
    return Status::Invalid(path + ": has " + std::to_string(st->nlink) +
                           " hard links; csvfs refuses it because each checkpoint replaces the "
                           "file by rename (which would split the links) and a daemon on another "
                           "link would serve a second, diverging table: remove the other links");
  }
  auto file = dir_->OpenReadOnly(names_.name);
  if (!file.ok()) return file.status();
  auto file_info = dir_->Stat(names_.name);
  const int64_t file_mtime = file_info.ok() ? file_info->mtime_ns : env_->NowNanos();
  std::shared_ptr<const ReadOnlyFile> data(std::move(file.value()));
  const uint64_t size = data->data().size();
  // The checksum that identifies BACKING is computed on a second core while this one scans
  // the file (mount time is one pass over the data, not two).
  uint32_t crc = 0;
  std::thread crc_thread([&] { crc = Crc32c(data->data()); });
  auto table = std::make_unique<Table>(cfg);
  Status scanned = table->Load(data, {}, 1, path, /*strict_ids=*/false);
  crc_thread.join();
  CSVFS_RETURN_IF_ERROR(scanned);
  (void)dir_->Remove(names_.tmp);

  auto j = ReadJournal(dir_.get(), names_.journal);
  if (!j.ok()) return j.status();
  auto jn = ReadJournal(dir_.get(), names_.journal_new);
  if (!jn.ok()) return jn.status();
  auto idf = ReadJournal(dir_.get(), names_.ids);
  if (!idf.ok()) return idf.status();
  // Frames after a never-written sector are cut (journal.h): a crash wrote them out of order,
  // never synced, never acknowledged. A copy is set aside before the file is cut or replaced.
  std::string cut_note;
  for (const auto& [image, name] :
       {std::pair{&j.value(), &names_.journal}, std::pair{&jn.value(), &names_.journal_new},
        std::pair{&idf.value(), &names_.ids}}) {
    if (!*image || (*image)->dropped_frames == 0) continue;
    const JournalImage& cut = **image;
    const std::string orphan = *name + ".orphan-" + std::to_string(env_->NowNanos());
    CSVFS_RETURN_IF_ERROR(WriteFileDurably(
        orphan, orphan + ".tmp", cut.file->data().substr(0, cut.valid_bytes + cut.dropped_bytes)));
    cut_note += (cut_note.empty() ? "" : "; ") + JoinPath(names_.dir, *name) +
                ": a sector after offset " + std::to_string(cut.valid_bytes) +
                " was never written, so the " + std::to_string(cut.dropped_frames) +
                " records after it were never synced (a crash wrote them out of order); " +
                "discarded them, a copy is in " + JoinPath(names_.dir, orphan);
  }
  auto matches = [&](const std::optional<JournalImage>& x) {
    return x && x->has_base && x->base.backing_size == size && x->base.backing_crc == crc;
  };
  JournalBase base;
  std::vector<Op> ops;
  bool fresh_journal = false;
  const JournalImage* old = nullptr;  // the newest description of another BACKING
  if (matches(jn.value())) {  // crashed after installing a checkpoint
    base = jn.value()->base;
    ops = std::move(jn.value()->ops);
    uint64_t last = ops.empty() ? base.lsn : ops.back().lsn;
    if (j.value()) {
      for (auto& op : j.value()->ops) {
        if (op.lsn > last) ops.push_back(std::move(op));
      }
    }
    out->needs_checkpoint = true;
    out->note = "finished an interrupted checkpoint";
  } else if (matches(j.value())) {
    base = j.value()->base;
    for (auto& op : j.value()->ops) {
      if (op.lsn > base.lsn) ops.push_back(std::move(op));
    }
    out->needs_checkpoint = !ops.empty() || j.value()->torn || jn.value().has_value();
    if (j.value()->torn && j.value()->dropped_frames == 0) {
      out->note = "discarded a torn journal tail";
    }
  } else if (!j.value() && matches(idf.value())) {  // after a clean unmount
    base = idf.value()->base;
    fresh_journal = true;
  } else if (j.value() || jn.value() || idf.value()) {
    old = j.value() ? &*j.value() : jn.value() ? &*jn.value() : &*idf.value();
  } else {
    fresh_journal = true;  // first mount
  }
  if (old == nullptr && base.flags != flags_ && (fresh_journal || ops.empty()) &&
      (j.value() || idf.value())) {
    old = j.value() ? &*j.value() : &*idf.value();  // options changed: ids must be redone
  } else if (base.flags != flags_ && !ops.empty()) {
    return Status::Invalid(JoinPath(names_.dir, names_.journal) + " holds " +
                           std::to_string(ops.size()) +
                           " changes made with other options (header/key); mount with those "
                           "options once to fold them in");
  }
  if (old != nullptr) {
    bool same_file = old->base.backing_size == size && old->base.backing_crc == crc;
    base = old->base;
    base.id_runs.clear();
    fresh_journal = true;
    ops.clear();
    out->needs_checkpoint = false;
    out->note = same_file ? path + ": the header/key options changed since the last mount"
                          : path + " was modified while unmounted; taking it as the truth";
    if (!same_file && old->base.flags == flags_ && size >= old->base.backing_size &&
        old->base.backing_size > 0 &&
        Crc32c(data->data().substr(0, old->base.backing_size)) == old->base.backing_crc) {
      base.id_runs = old->base.id_runs;  // only appended to: old rows keep their ids
      out->note += " (rows were appended; existing row ids kept)";
    } else {
      out->note += " (rows renumbered from " + std::to_string(base.next_id) + ")";
    }
    if (!old->ops.empty()) {
      std::string orphan = names_.journal + ".orphan-" + std::to_string(env_->NowNanos());
      bool from_j = j.value() && old == &*j.value();
      bool from_jn = jn.value() && old == &*jn.value();
      (void)dir_->Rename(from_j ? names_.journal : from_jn ? names_.journal_new : names_.ids,
                         orphan);
      out->note += "; " + std::to_string(old->ops.size()) +
                   " journaled changes not in the file were set aside in " + orphan;
    }
  }

  // Edited while unmounted: old ids for the rows that were there (only when it was merely
  // appended to), fresh ids after them. Otherwise the base's ids must cover every row.
  uint64_t first_fresh = fresh_journal && base.next_id > 1 ? base.next_id : 1;
  CSVFS_RETURN_IF_ERROR(table->RelabelIds(base.id_runs, first_fresh, /*strict_ids=*/!fresh_journal, path));
  table->SetCounters(base.number, base.lineage, fresh_journal ? file_mtime : base.mtime_ns);
  out->last_lsn = base.lsn;
  for (const Op& op : ops) {
    Status s = table->Apply(op);
    if (!s.ok()) {
      return Status::Corruption(JoinPath(names_.dir, names_.journal) +
                                ": cannot replay change " + std::to_string(op.lsn) + ": " +
                                s.message());
    }
    out->last_lsn = op.lsn;
  }
  out->replayed = ops.size();
  if (fresh_journal) {
    JournalBase b;
    b.backing_size = size;
    b.backing_crc = crc;
    b.lsn = out->last_lsn;
    b.next_id = table->next_id();
    b.number = table->current()->number();
    b.lineage = table->current()->lineage();
    b.mtime_ns = table->current()->mtime_ns();
    b.flags = flags_;
    if (cfg.key_name.empty()) {
      // Load gave the first rows the base's ids and numbered the rest from first_fresh.
      uint64_t rows = table->current()->row_count(), listed = 0;
      for (const auto& [first, count] : base.id_runs) {
        uint64_t take = std::min(count, rows - listed);
        if (take > 0) b.id_runs.emplace_back(first, take);
        listed += take;
      }
      if (listed < rows) b.id_runs.emplace_back(first_fresh, rows - listed);
    }
    CSVFS_RETURN_IF_ERROR(WriteFreshJournal(b));
  } else {
    auto jf = dir_->OpenAppend(names_.journal);
    if (!jf.ok()) return jf.status();
    // Cut any torn or preallocated tail, or new frames would follow it (mid-log garbage).
    uint64_t valid = j.value() ? j.value()->valid_bytes : 0;
    if (jf.value()->Size() > valid) CSVFS_RETURN_IF_ERROR(jf.value()->Truncate(valid));
    CSVFS_RETURN_IF_ERROR(jf.value()->Preallocate(kJournalPrealloc));
    SetJournal(std::move(jf.value()));
  }
  if (!cut_note.empty()) out->note += (out->note.empty() ? "" : "; ") + cut_note;
  out->journal_bytes = journal_->Size();
  out->table = std::move(table);
  return Status::Ok();
}

Status Store::WriteFreshJournal(const JournalBase& base) {
  (void)dir_->Remove(names_.journal_new);
  auto f = dir_->CreateExclusive(names_.journal_new);
  if (!f.ok()) return f.status();
  std::shared_ptr<WritableFile> jf(std::move(f.value()));
  auto frame = Frame(base.Encode());
  if (!frame.ok()) return frame.status();
  CSVFS_RETURN_IF_ERROR(jf->Append(frame.value()));
  CSVFS_RETURN_IF_ERROR(jf->Preallocate(kJournalPrealloc));
  CSVFS_RETURN_IF_ERROR(jf->Sync());
  CSVFS_RETURN_IF_ERROR(dir_->Rename(names_.journal_new, names_.journal));
  CSVFS_RETURN_IF_ERROR(dir_->Sync());
  SetJournal(std::move(jf));
  return Status::Ok();
}

Status Store::AppendFrame(std::string_view frame) {
  uint64_t before = journal_->Size();
  Status s = journal_->Append(frame);
  if (!s.ok() && journal_->Size() != before) {
    Status t = journal_->Truncate(before);
    if (!t.ok()) {
      return Status::IoError("journal append failed and could not be undone: " + t.message(),
                             s.os_error());
    }
  }
  return s;
}

Result<PreparedCheckpoint> Store::WriteCheckpointFile(const Version& v, uint64_t lsn,
                                                      uint64_t next_id) {
  (void)dir_->Remove(names_.tmp);
  auto created = dir_->CreateExclusive(names_.tmp);
  if (!created.ok()) return created.status();
  std::unique_ptr<WritableFile> f = std::move(created.value());
  PreparedCheckpoint ck;
  std::string buf;
  uint32_t crc = 0;
  uint64_t offset = 0;
  Status err;
  auto flush = [&] {
    if (!err.ok() || buf.empty()) return;
    crc = Crc32c(crc, buf.data(), buf.size());
    err = f->Append(buf);
    NoteMappedRead(buf.size());  // about as many bytes of the old file's mapping were read
    buf.clear();
  };
  buf.append(v.header());
  offset = buf.size();
  ck.layout.header_end = offset;
  ck.layout.row_ends.reserve(v.row_count());
  ck.layout.ids.reserve(v.row_count());
  v.ForEachRow([&](std::string_view id, std::string_view bytes, RowRef) {
    buf.append(bytes);
    offset += bytes.size();
    ck.layout.row_ends.push_back(offset);
    uint64_t n = 0;
    std::from_chars(id.data(), id.data() + id.size(), n);
    ck.layout.ids.push_back(n);
    if (buf.size() >= (1u << 20)) flush();
    return err.ok();
  });
  flush();
  auto fail = [&](Status s) {
    (void)f->Close();
    (void)dir_->Remove(names_.tmp);
    return s;
  };
  if (!err.ok()) return fail(err);
  if (Status s = f->Sync(); !s.ok()) return fail(s);
  if (auto st = dir_->Stat(names_.name); st.ok()) {
    (void)f->SetModeOwner(st->mode, st->uid, st->gid);
  }
  if (Status s = f->Close(); !s.ok()) return fail(s);
  auto mapped = dir_->OpenReadOnly(names_.tmp);
  if (!mapped.ok()) return fail(mapped.status());
  ck.file = std::move(mapped.value());
  ck.base.backing_size = offset;
  ck.base.backing_crc = crc;
  ck.base.lsn = lsn;
  ck.base.next_id = next_id;
  ck.base.number = v.number();
  ck.base.lineage = v.lineage();
  ck.base.mtime_ns = v.mtime_ns();
  ck.base.id_runs = ToIdRuns(ck.layout.ids);
  ck.base.flags = flags_;
  return ck;
}

Status Store::StartNextJournal(const PreparedCheckpoint& ckpt, std::string_view frames) {
  (void)dir_->Remove(names_.journal_new);
  auto f = dir_->CreateExclusive(names_.journal_new);
  if (!f.ok()) return f.status();
  next_journal_ = std::move(f.value());
  auto framed = Frame(ckpt.base.Encode());
  if (!framed.ok()) return framed.status();
  std::string data = std::move(framed.value());
  data.append(frames);
  Status s = next_journal_->Append(data);
  if (s.ok()) s = next_journal_->Preallocate(kJournalPrealloc);
  if (s.ok()) s = next_journal_->Sync();
  return s;
}

Status Store::InstallCheckpointFile() {
  CSVFS_RETURN_IF_ERROR(dir_->Rename(names_.tmp, names_.name));
  return dir_->Sync();
}

Status Store::FinishNextJournal(std::string_view frames) {
  if (!frames.empty()) CSVFS_RETURN_IF_ERROR(next_journal_->Append(frames));
  CSVFS_RETURN_IF_ERROR(next_journal_->Sync());
  CSVFS_RETURN_IF_ERROR(dir_->Rename(names_.journal_new, names_.journal));
  CSVFS_RETURN_IF_ERROR(dir_->Sync());
  SetJournal(std::move(next_journal_));
  return Status::Ok();
}

Status Store::WriteFileDurably(const std::string& name, const std::string& tmp,
                               std::string_view data) {
  (void)dir_->Remove(tmp);
  auto f = dir_->CreateExclusive(tmp);
  if (!f.ok()) return f.status();
  CSVFS_RETURN_IF_ERROR(f.value()->Append(data));
  CSVFS_RETURN_IF_ERROR(f.value()->Sync());
  CSVFS_RETURN_IF_ERROR(f.value()->Close());
  CSVFS_RETURN_IF_ERROR(dir_->Rename(tmp, name));
  return dir_->Sync();
}

Status Store::CloseClean() {
  auto j = ReadJournal(dir_.get(), names_.journal);
  if (!j.ok()) return j.status();
  if (!j.value() || !j.value()->ops.empty() || j.value()->torn || !j.value()->has_base) {
    return Status::Ok();  // not folded: keep the journal
  }
  auto frame = Frame(j.value()->base.Encode());
  if (!frame.ok()) return frame.status();
  CSVFS_RETURN_IF_ERROR(WriteFileDurably(names_.ids, names_.ids_new, frame.value()));
  SetJournal(nullptr);
  CSVFS_RETURN_IF_ERROR(dir_->Remove(names_.journal));
  return dir_->Sync();
}

void Store::AbandonCheckpoint() {
  next_journal_.reset();
  (void)dir_->Remove(names_.tmp);
  (void)dir_->Remove(names_.journal_new);
}

}  // namespace csvfs::core
