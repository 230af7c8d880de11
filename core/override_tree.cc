#include "core/override_tree.h"

#include <vector>

namespace csvfs::core {

namespace {

using Node = OverrideTree::Node;
using NodePtr = OverrideTree::NodePtr;

uint32_t Priority(uint64_t key) {
  uint64_t x = key + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return uint32_t(x ^ (x >> 31));
}

NodePtr Make(const Node& proto, NodePtr left, NodePtr right) {
  auto n = std::make_shared<Node>(proto);
  n->left = std::move(left);
  n->right = std::move(right);
  int64_t own_rows = n->content ? 0 : -1;
  n->sum_bytes = n->delta_bytes + (n->left ? n->left->sum_bytes : 0) +
                 (n->right ? n->right->sum_bytes : 0);
  n->sum_rows = own_rows + (n->left ? n->left->sum_rows : 0) + (n->right ? n->right->sum_rows : 0);
  n->count = 1 + (n->left ? n->left->count : 0) + (n->right ? n->right->count : 0);
  return n;
}

NodePtr Insert(const NodePtr& t, const Node& proto) {
  if (!t) return Make(proto, nullptr, nullptr);
  if (proto.key == t->key) return Make(proto, t->left, t->right);
  if (proto.key < t->key) {
    NodePtr l = Insert(t->left, proto);
    if (l->prio > t->prio) {  // rotate right: l becomes the root
      NodePtr new_t = Make(*t, l->right, t->right);
      return Make(*l, l->left, new_t);
    }
    return Make(*t, l, t->right);
  }
  NodePtr r = Insert(t->right, proto);
  if (r->prio > t->prio) {  // rotate left
    NodePtr new_t = Make(*t, t->left, r->left);
    return Make(*r, new_t, r->right);
  }
  return Make(*t, t->left, r);
}

}  // namespace

OverrideTree OverrideTree::Set(uint64_t key, std::shared_ptr<const std::string> content,
                               uint64_t orig_len) const {
  Node proto{};
  proto.key = key;
  proto.prio = Priority(key);
  proto.delta_bytes = (content ? int64_t(content->size()) : 0) - int64_t(orig_len);
  proto.content = std::move(content);
  OverrideTree t;
  t.root_ = Insert(root_, proto);
  return t;
}

const Node* OverrideTree::Find(uint64_t key) const {
  const Node* n = root_.get();
  while (n != nullptr && n->key != key) n = key < n->key ? n->left.get() : n->right.get();
  return n;
}

void OverrideTree::PrefixDelta(uint64_t key, int64_t* bytes, int64_t* rows) const {
  *bytes = 0;
  *rows = 0;
  for (const Node* n = root_.get(); n != nullptr;) {
    if (n->key < key) {
      if (n->left) {
        *bytes += n->left->sum_bytes;
        *rows += n->left->sum_rows;
      }
      *bytes += n->delta_bytes;
      *rows += n->content ? 0 : -1;
      n = n->right.get();
    } else {
      n = n->left.get();
    }
  }
}

void OverrideTree::ForEachFrom(uint64_t from, const std::function<bool(const Node&)>& fn) const {
  // Iterative in-order walk starting at the first key >= from.
  std::vector<const Node*> stack;
  for (const Node* n = root_.get(); n != nullptr;) {
    if (n->key >= from) {
      stack.push_back(n);
      n = n->left.get();
    } else {
      n = n->right.get();
    }
  }
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!fn(*n)) return;
    for (const Node* c = n->right.get(); c != nullptr; c = c->left.get()) stack.push_back(c);
  }
}

}  // namespace csvfs::core
