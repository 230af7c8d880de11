// Crash-point enumeration: a workload mixing appends, deletes, updates, rewrites and
// checkpoints is crashed at every append, sync, rename, create, remove and directory sync in
// turn, in every crash mode. After each crash, recovery must succeed and show exactly the
// acknowledged changes (plus, atomically, possibly the one in flight), BACKING must be a
// valid CSV and row ids must be intact.
#include <catch2/catch.hpp>

#include <functional>

#include "core/csv.h"
#include "core/engine.h"
#include "tests/unit/engine_test_util.h"
#include "tests/unit/fault_env.h"

namespace csvfs::testing {
namespace {

using core::Engine;
using core::EngineOptions;

struct State {
  std::string render;
  std::vector<std::string> ids;
  bool operator==(const State&) const = default;
};

State StateOf(const Engine& e) { return {Render(*e.Current()), Ids(*e.Current())}; }

EngineOptions Opts(core::Env* env) {
  EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  o.start_threads = false;  // deterministic: durability waits sync on the caller's thread
  return o;
}

using Step = std::function<bool(Engine&)>;  // true if acknowledged (durable)

bool Durable(Engine& e, const core::Result<core::CommitResult>& r) {
  return r.ok() && e.WaitDurable(r->lsn).ok();
}

std::vector<Step> Workload() {
  return {
      [](Engine& e) { return Durable(e, e.Append("4,dave\n5,\"e, \"\"q\"\"\"\n", 1)); },
      [](Engine& e) { return Durable(e, e.DeleteRow("2", 1)); },
      [](Engine& e) { return Durable(e, e.PutRow("3", "3,CAROL\n", false, false, 1)); },
      [](Engine& e) { return e.Checkpoint().ok(); },
      [](Engine& e) { return Durable(e, e.Append("6,\"multi\nline\"\n", 1)); },
      [](Engine& e) {
        auto base = e.Current();
        std::string img = Render(*base);
        img.replace(img.find("dave"), 4, "DAVE");
        return Durable(e, e.Rewrite(base, img + "7,new\n", 1));
      },
      [](Engine& e) { return Durable(e, e.Append("8,h\n", 1)); },
      [](Engine& e) { return e.Checkpoint().ok(); },
      [](Engine& e) { return Durable(e, e.DeleteRow("1", 1)); },
      [](Engine& e) { return Durable(e, e.Append("9,i\n", 1)); },
  };
}

const char kInitial[] = "id,name\n1,ann\n2,bob\n3,carol\n";

// Runs the workload; returns the states after each step (states[0] = initial) and how many
// steps were acknowledged before the first failure.
size_t RunWorkload(FaultEnv* env, std::vector<State>* states) {
  states->push_back(State{kInitial, {"1", "2", "3"}});
  auto opened = Engine::Open(Opts(env));
  if (!opened.ok()) return 0;
  Engine& e = *opened.value();
  REQUIRE(StateOf(e) == states->back());
  size_t acked = 0;
  for (const Step& step : Workload()) {
    bool ok = step(e);
    states->push_back(StateOf(e));
    if (!ok) break;
    ++acked;
  }
  return acked;
}

void CheckRecovered(FaultEnv* env, const std::vector<State>& states, size_t acked) {
  env->on_op = nullptr;
  env->ClearFaults();
  auto e = Engine::Open(Opts(env));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  State got = StateOf(*e.value());
  // Exactly the acknowledged steps, or those plus the step in flight, never a mix.
  bool ok = got == states[acked] || (acked + 1 < states.size() && got == states[acked + 1]);
  INFO("acked steps: " << acked << "\ngot:\n" << got.render << "\nwant:\n" << states[acked].render);
  REQUIRE(ok);
  std::vector<core::RecordSpan> spans;
  REQUIRE(core::ScanRecords(GetFile(env, "/d", "t.csv"), &spans).ok());
  REQUIRE(e.value()->Close().ok());
  REQUIRE(GetFile(env, "/d", "t.csv") == got.render);
}

}  // namespace

TEST_CASE("crash: the workload without crashes") {
  FaultEnv env;
  std::vector<State> states;
  PutFile(&env, "/d", "t.csv", kInitial);
  REQUIRE(RunWorkload(&env, &states) == Workload().size());
  REQUIRE(states.back().render ==
          "id,name\n3,CAROL\n4,DAVE\n5,\"e, \"\"q\"\"\"\n6,\"multi\nline\"\n7,new\n8,h\n9,i\n");
  REQUIRE(states.back().ids == std::vector<std::string>{"3", "4", "5", "6", "7", "8", "9"});
}

TEST_CASE("crash: every crash point of the workload recovers the acknowledged changes") {
  // Count the operations of each kind in a clean run.
  std::vector<std::pair<OpKind, int64_t>> points;
  {
    FaultEnv env;
    std::vector<State> states;
    PutFile(&env, "/d", "t.csv", kInitial);
    std::vector<int64_t> before;
    for (int k = 0; k < kNumOpKinds; ++k) before.push_back(env.Count(OpKind(k)));
    RunWorkload(&env, &states);
    for (int k = 0; k < kNumOpKinds; ++k) {
      for (int64_t n = 1; n <= env.Count(OpKind(k)) - before[size_t(k)]; ++n) {
        points.emplace_back(OpKind(k), n);
      }
    }
  }
  REQUIRE(points.size() > 40);
  int tried = 0;
  for (auto mode : {CrashMode::kDropUnsynced, CrashMode::kTornTail, CrashMode::kGarbageTail}) {
    for (auto dirs : {DirCrash::kRevert, DirCrash::kKeep}) {
      for (auto [kind, n] : points) {
        FaultEnv env(uint64_t(n) * 31 + int(kind));
        bool crashed = false;
        // Crash points are counted from the first operation of the workload, after the
        // initial file is in place.
        std::vector<State> states;
        PutFile(&env, "/d", "t.csv", kInitial);
        int64_t base = env.Count(kind);
        env.on_op = [&, kind = kind, n = n](OpKind k, int64_t count) {
          if (!crashed && k == kind && count == base + n) {
            crashed = true;
            env.SimulateCrash(mode, dirs);
          }
        };
        size_t acked = RunWorkload(&env, &states);
        INFO("crash at " << OpKindName(kind) << " #" << n << " mode " << int(mode) << "/"
                         << int(dirs));
        CheckRecovered(&env, states, acked);
        ++tried;
      }
    }
  }
  WARN("crash points enumerated: " << points.size() << ", runs: " << tried);
}

}  // namespace csvfs::testing
