#include "core/row_stamps.h"

#include <vector>

namespace csvfs::core {

struct RowStamps::Node {
  std::string id;
  uint32_t prio = 0;
  ChangeStamp stamp;
  uint64_t count = 1;
  NodePtr left, right;
};

namespace {

uint32_t Priority(std::string_view id) {  // FNV-1a, then a mixer
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return uint32_t(h ^ (h >> 31));
}

}  // namespace

RowStamps::NodePtr RowStamps::Make(const Node& proto, NodePtr left, NodePtr right) {
  auto n = std::make_shared<Node>();
  n->id = proto.id;
  n->prio = proto.prio;
  n->stamp = proto.stamp;
  n->left = std::move(left);
  n->right = std::move(right);
  n->count = 1 + (n->left ? n->left->count : 0) + (n->right ? n->right->count : 0);
  return n;
}

void RowStamps::Split(const NodePtr& t, std::string_view id, bool inclusive, NodePtr* left,
                      NodePtr* right) {
  if (!t) {
    *left = *right = nullptr;
    return;
  }
  const bool goes_left = inclusive ? std::string_view(t->id) <= id : std::string_view(t->id) < id;
  if (goes_left) {
    NodePtr l, r;
    Split(t->right, id, inclusive, &l, &r);
    *left = Make(*t, t->left, std::move(l));
    *right = std::move(r);
  } else {
    NodePtr l, r;
    Split(t->left, id, inclusive, &l, &r);
    *left = std::move(l);
    *right = Make(*t, std::move(r), t->right);
  }
}

RowStamps::NodePtr RowStamps::Merge(const NodePtr& a, const NodePtr& b) {
  if (!a) return b;
  if (!b) return a;
  if (a->prio > b->prio) return Make(*a, a->left, Merge(a->right, b));
  return Make(*b, Merge(a, b->left), b->right);
}

RowStamps RowStamps::Set(std::string_view id, ChangeStamp stamp) const {
  NodePtr less, rest, equal, greater;
  Split(root_, id, /*inclusive=*/false, &less, &rest);
  Split(rest, id, /*inclusive=*/true, &equal, &greater);
  Node proto;
  proto.id = std::string(id);
  proto.prio = Priority(id);
  proto.stamp = stamp;
  RowStamps out = *this;  // shares the append runs
  out.root_ = Merge(Merge(less, Make(proto, nullptr, nullptr)), greater);
  return out;
}

RowStamps RowStamps::Erase(std::string_view id) const {
  if (Find(id) == nullptr) return *this;
  NodePtr less, rest, equal, greater;
  Split(root_, id, /*inclusive=*/false, &less, &rest);
  Split(rest, id, /*inclusive=*/true, &equal, &greater);
  RowStamps out = *this;  // shares the append runs
  out.root_ = Merge(less, greater);
  return out;
}

const ChangeStamp* RowStamps::Find(std::string_view id) const {
  for (const Node* n = root_.get(); n != nullptr;) {
    if (id == n->id) return &n->stamp;
    n = id < std::string_view(n->id) ? n->left.get() : n->right.get();
  }
  return nullptr;
}

void RowStamps::ForEach(const std::function<bool(std::string_view, ChangeStamp)>& fn) const {
  std::vector<const Node*> stack;
  for (const Node* n = root_.get(); n != nullptr; n = n->left.get()) stack.push_back(n);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!fn(n->id, n->stamp)) return;
    for (const Node* c = n->right.get(); c != nullptr; c = c->left.get()) stack.push_back(c);
  }
}

RowStamps RowStamps::AddAppendRun(uint64_t first_id, ChangeStamp stamp) const {
  RowStamps out = *this;
  if (!out.runs_ || out.runs_->size() != run_count_) {  // none yet, or another branch added
    auto fresh = std::make_shared<ChunkedVector<AppendRun>>();
    for (size_t i = 0; i < run_count_; ++i) fresh->push_back((*runs_)[i]);
    out.runs_ = std::move(fresh);
  }
  out.runs_->push_back(AppendRun{first_id, stamp});
  out.run_count_ = run_count_ + 1;
  return out;
}

const ChangeStamp* RowStamps::Lookup(std::string_view id) const {
  if (const ChangeStamp* s = Find(id)) return s;
  if (run_count_ == 0 || id.empty() || id.size() > 19 || id[0] == '0') return nullptr;
  uint64_t n = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return nullptr;
    n = n * 10 + uint64_t(c - '0');
  }
  if (n < (*runs_)[0].first_id) return nullptr;
  size_t lo = 0, hi = run_count_;  // the last run with first_id <= n
  while (lo + 1 < hi) {
    size_t mid = (lo + hi) / 2;
    if ((*runs_)[mid].first_id <= n)
      lo = mid;
    else
      hi = mid;
  }
  return &(*runs_)[lo].stamp;
}

uint64_t RowStamps::size() const { return root_ ? root_->count : 0; }

}  // namespace csvfs::core
