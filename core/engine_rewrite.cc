// Engine: rewrites (see engine.h, Rewrite and PrepareRewrite).
#include "core/engine.h"
#include "core/engine_impl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/journal.h"
#include "core/merge_internal.h"
#include "core/store.h"
#include "core/table.h"
#include "spdlog/spdlog.h"

namespace csvfs::core {

std::shared_ptr<PreparedRewrite> Engine::Impl::PrepareMerge(const Snapshot& base,
                                                            std::string_view image) {
  Impl& d = *this;
  merge_internal::MergeContext ctx;
  Snapshot snap;
  {
    std::lock_guard<std::mutex> l(d.write_mu);
    ctx = merge_internal::MergeContext::Of(*d.table);
    snap = d.table->current();
  }
  auto p = std::make_shared<PreparedRewrite>();
  p->base = base;
  p->image_size = image.size();
  p->plan = merge_internal::PrepareAppendOnly(ctx, snap, base ? *base : *snap, image);
  return p;
}

std::shared_ptr<PreparedRewrite> Engine::PrepareRewrite(const Snapshot& base,
                                                        std::string_view image) const {
  if (image.size() > impl_->opt.max_image_bytes) return nullptr;
  auto p = impl_->PrepareMerge(base, image);
  if (!p->plan || !p->plan->ok()) return nullptr;
  return p;
}

Result<CommitResult> Engine::Rewrite(const Snapshot& base, std::string_view image, uint32_t pid,
                                     std::shared_ptr<PreparedRewrite> prepared) {
  if (image.size() > impl_->opt.max_image_bytes) {
    ++impl_->refused;
    return Status::TooBig("new content of " + std::to_string(image.size()) +
                          " bytes is over the limit of " +
                          std::to_string(impl_->opt.max_image_bytes));
  }
  if (prepared != nullptr && (prepared->base != base || prepared->image_size != image.size())) {
    prepared = nullptr;  // made for another rewrite
  }
  // Prepared outside the writer lock against a snapshot (other writers go on meanwhile);
  // under it, only rebased onto what landed since.
  if (prepared == nullptr) prepared = impl_->PrepareMerge(base, image);
  auto& plan = prepared->plan;
  if (plan && !plan->ok()) return impl_->Finish(plan->status(), "rewrite", pid);
  std::unique_lock<std::mutex> l(impl_->write_mu);
  if (impl_->closed) return Status::ReadOnly("the store is shutting down");
  if (Status ro = impl_->ReadOnlyStatus(); !ro.ok()) {
    ++impl_->refused;
    return ro;
  }
  std::optional<MergeResult> fast;
  if (plan) fast = merge_internal::FinishAppendOnly(*impl_->table, std::move(plan->value()));
  plan.reset();  // consumed
  auto m = fast ? Result<MergeResult>(std::move(*fast))
                : MergeRewrite(*impl_->table, base ? *base : *impl_->table->current(), image,
                               /*try_append_only=*/false);
  if (!m.ok()) return impl_->Finish(m.status(), "rewrite", pid);
  if (m->no_change) return impl_->NoChange();
  auto r = impl_->Commit(std::move(m->op));
  l.unlock();
  if (r.ok()) r->conflicts = std::move(m->conflicts);
  return impl_->Finish(std::move(r), "rewrite", pid);
}

}  // namespace csvfs::core
