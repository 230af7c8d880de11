// Helpers for engine tests: files in an Env, and whole-table renderings.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/env.h"
#include "core/table.h"

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

// A Table loaded from `csv` (written as /d/t.csv); `key`: the key column, empty for numeric
// ids. The load's status goes to *status (the Table is returned either way).
inline std::unique_ptr<core::Table> LoadTable(core::Env* env, const std::string& csv,
                                              const std::string& key, core::Status* status) {
  PutFile(env, "/d", "t.csv", csv);
  auto d = env->OpenDirectory("/d");
  if (!d.ok()) throw std::runtime_error(d.status().ToString());
  auto file = d.value()->OpenReadOnly("t.csv");
  if (!file.ok()) throw std::runtime_error(file.status().ToString());
  core::TableConfig cfg;
  cfg.key_name = key;
  auto t = std::make_unique<core::Table>(cfg);
  *status = t->Load(std::move(file.value()), {}, 1, "t.csv", false);
  return t;
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
