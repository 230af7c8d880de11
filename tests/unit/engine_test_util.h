// Helpers for engine tests: files in an Env, and whole-table renderings.
#pragma once

#include <string>
#include <vector>

#include "core/engine.h"
#include "core/env.h"

namespace csvfs::testing {

inline void PutFile(core::Env* env, const std::string& dir, const std::string& name,
                    const std::string& content) {
  auto d = env->OpenDirectory(dir);
  if (!d.ok()) throw std::runtime_error(d.status().ToString());
  (void)d.value()->Remove(name);
  auto f = d.value()->CreateExclusive(name);
  if (!f.ok()) throw std::runtime_error(f.status().ToString());
  if (!f.value()->Append(content).ok() || !f.value()->Sync().ok() || !f.value()->Close().ok() ||
      !d.value()->Sync().ok()) {
    throw std::runtime_error("PutFile failed");
  }
}

inline std::string GetFile(core::Env* env, const std::string& dir, const std::string& name) {
  auto d = env->OpenDirectory(dir);
  if (!d.ok()) throw std::runtime_error(d.status().ToString());
  auto f = d.value()->OpenReadOnly(name);
  if (!f.ok()) return "<missing>";
  return std::string(f.value()->data());
}

inline std::string Render(const core::Version& v) {
  std::string out(v.size(), '\0');
  out.resize(v.Read(0, out.data(), out.size()));
  return out;
}

inline std::vector<std::string> Ids(const core::Version& v) {
  std::vector<std::string> ids;
  v.ForEachRow([&](std::string_view id, std::string_view, core::RowRef) {
    ids.emplace_back(id);
    return true;
  });
  return ids;
}

}  // namespace csvfs::testing
