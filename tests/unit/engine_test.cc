// Engine tests: the transactional table end to end over an in-memory Env.
#include <catch2/catch.hpp>

#include <random>

#include "core/engine.h"
#include "core/journal.h"
#include "tests/unit/engine_test_util.h"
#include "tests/unit/fault_env.h"

using csvfs::core::Code;
using csvfs::core::Engine;
using csvfs::core::EngineOptions;
using csvfs::testing::GetFile;
using csvfs::testing::Ids;
using csvfs::testing::PutFile;
using csvfs::testing::Render;

namespace {

const std::string kTricky =
    "id,name,note\r\n"
    "1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
    "2,plain,\"two\nlines\"\r\n"
    "3,,\r\n"
    "4,\"\",last";  // no final newline

EngineOptions Opts(csvfs::core::Env* env, const std::string& key = "") {
  EngineOptions o;
  o.env = env;
  o.backing_path = "/d/t.csv";
  o.key_column = key;
  return o;
}

std::unique_ptr<Engine> OpenOk(const EngineOptions& o) {
  auto e = Engine::Open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e.value());
}

}  // namespace

TEST_CASE("engine: mount shows BACKING byte for byte, reads at every offset") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", kTricky);
  auto e = OpenOk(Opts(env.get()));
  auto v = e->Current();
  REQUIRE(Render(*v) == kTricky);
  REQUIRE(v->row_count() == 4);
  REQUIRE(Ids(*v) == std::vector<std::string>{"1", "2", "3", "4"});
  for (size_t off = 0; off <= kTricky.size(); ++off) {
    for (size_t len : {1, 3, 17, 1000}) {
      std::string buf(len, '\0');
      buf.resize(v->Read(off, buf.data(), len));
      REQUIRE(buf == kTricky.substr(off, len));
    }
  }
}

TEST_CASE("engine: appends, deletes and updates render exactly") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", kTricky);
  auto e = OpenOk(Opts(env.get()));
  auto r = e->Append("5,x,y\r\n6,\"a\nb\",z\n", 42);
  REQUIRE(r.ok());
  REQUIRE(r->append_only);
  REQUIRE(r->ids == std::vector<std::string>{"5", "6"});
  // The missing final newline of row 4 is supplied with the table's line ending.
  std::string want = kTricky + "\r\n5,x,y\r\n6,\"a\nb\",z\n";
  REQUIRE(Render(*e->Current()) == want);

  REQUIRE(e->DeleteRow("2", 1).ok());
  REQUIRE(e->DeleteRow("2", 1).status().code() == Code::kNotFound);
  REQUIRE(e->PutRow("3", "3,new,\"q\"", false, false, 1).ok());
  want = "id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n3,new,\"q\"\r\n4,\"\",last\r\n"
         "5,x,y\r\n6,\"a\nb\",z\n";
  auto v = e->Current();
  REQUIRE(Render(*v) == want);
  REQUIRE(v->size() == want.size());
  REQUIRE(Ids(*v) == std::vector<std::string>{"1", "3", "4", "5", "6"});
  REQUIRE(*e->RowContent("3") == "3,new,\"q\"\r\n");
  for (size_t off = 0; off < want.size(); ++off) {
    std::string buf(7, '\0');
    buf.resize(v->Read(off, buf.data(), 7));
    REQUIRE(buf == want.substr(off, 7));
  }
}

TEST_CASE("engine: bad input is refused and changes nothing") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "a,b\n1,2\n");
  auto o = Opts(env.get());
  o.max_record_bytes = 100;
  auto e = OpenOk(o);
  struct Case {
    std::string input;
    Code code;
  } cases[] = {
      {"1,2,3\n", Code::kInvalid},        {"1\n", Code::kInvalid},
      {"x,\"open\n", Code::kInvalid},     {"x,a\"b\n", Code::kInvalid},
      {std::string("x,\0\n", 4), Code::kInvalid}, {"x,y\rz,w\n", Code::kInvalid},
      {"x," + std::string(200, 'y') + "\n", Code::kTooBig},
      {"3,4\n5,6,7\n", Code::kInvalid},  // atomic: the good first record is not kept
  };
  for (const auto& c : cases) {
    auto r = e->Append(c.input, 7);
    INFO(c.input);
    REQUIRE(r.status().code() == c.code);
  }
  REQUIRE(e->PutRow("1", "1,2\n3,4\n", false, false, 7).status().code() == Code::kInvalid);
  REQUIRE(e->PutRow("1", "", false, false, 7).status().code() == Code::kInvalid);
  REQUIRE(e->PutRow("9", "9,9\n", true, false, 7).status().code() == Code::kNotPermitted);
  REQUIRE(Render(*e->Current()) == "a,b\n1,2\n");
  REQUIRE(e->Stats().refused >= 10);
}

TEST_CASE("engine: ids and content survive close and reopen and BACKING holds everything") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "h\na\nb\nc\n");
  {
    auto e = OpenOk(Opts(env.get()));
    REQUIRE(e->DeleteRow("2", 1).ok());
    REQUIRE(e->Append("d\n", 1).ok());
    REQUIRE(e->Close().ok());
  }
  REQUIRE(GetFile(env.get(), "/d", "t.csv") == "h\na\nc\nd\n");
  {
    auto e = OpenOk(Opts(env.get()));
    REQUIRE(Ids(*e->Current()) == std::vector<std::string>{"1", "3", "4"});
    REQUIRE(e->Append("e\n", 1)->ids == std::vector<std::string>{"5"});  // never reused
  }
  auto e = OpenOk(Opts(env.get()));
  REQUIRE(Ids(*e->Current()) == std::vector<std::string>{"1", "3", "4", "5"});
}

TEST_CASE("engine: a second instance on the same BACKING is refused") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "h\n");
  auto e = OpenOk(Opts(env.get()));
  REQUIRE(Engine::Open(Opts(env.get())).status().code() == Code::kBusy);
}

TEST_CASE("engine: missing and malformed BACKING") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "other", "");
  REQUIRE(Engine::Open(Opts(env.get())).status().code() == Code::kNotFound);
  PutFile(env.get(), "/d", "t.csv", "a,b\n1,2\n3,\"x\n");
  auto r = Engine::Open(Opts(env.get()));
  REQUIRE(r.status().code() == Code::kInvalid);
  REQUIRE_THAT(r.status().message(), Catch::Contains("line 3"));
  PutFile(env.get(), "/d", "t.csv", "a,b\n1,2\n3\n");
  r = Engine::Open(Opts(env.get()));
  REQUIRE(r.status().code() == Code::kInvalid);
  REQUIRE_THAT(r.status().message(), Catch::Contains("line 3"));
  auto o = Opts(env.get());
  o.backing_path = "/d/new.csv";
  o.create = true;
  auto e = OpenOk(o);
  REQUIRE(e->Current()->size() == 0);
  REQUIRE(e->Append("x,y\n1,2\n", 1).ok());  // the first record becomes the header
  REQUIRE(e->Current()->row_count() == 1);
  REQUIRE(e->Current()->header() == "x,y\n");
}

TEST_CASE("engine: BACKING edited while unmounted is taken as the truth") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "h\na\nb\nc\n");
  {
    auto e = OpenOk(Opts(env.get()));
    REQUIRE(e->DeleteRow("1", 1).ok());
  }
  // Appended to: old rows keep their ids.
  PutFile(env.get(), "/d", "t.csv", "h\nb\nc\nz\n");
  {
    auto e = OpenOk(Opts(env.get()));
    REQUIRE(Ids(*e->Current()) == std::vector<std::string>{"2", "3", "4"});
  }
  // Rewritten: rows renumbered from the next unused id.
  PutFile(env.get(), "/d", "t.csv", "h\nq\nr\n");
  auto e = OpenOk(Opts(env.get()));
  REQUIRE(Ids(*e->Current()) == std::vector<std::string>{"5", "6"});
  REQUIRE(Render(*e->Current()) == "h\nq\nr\n");
}

TEST_CASE("engine: key mode") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "name,v\nann,1\nbob,2\n");
  auto e = OpenOk(Opts(env.get(), "name"));
  REQUIRE(Ids(*e->Current()) == std::vector<std::string>{"ann", "bob"});
  REQUIRE(e->Append("ann,3\n", 1).status().code() == Code::kExists);
  REQUIRE(e->Append("cy,3\ncy,4\n", 1).status().code() == Code::kExists);
  REQUIRE(e->PutRow("dan", "dan,4\n", true, true, 1).ok());
  REQUIRE(e->PutRow("dan", "dan,5\n", true, true, 1).status().code() == Code::kExists);
  REQUIRE(e->PutRow("dan", "xx,5\n", true, false, 1).status().code() == Code::kInvalid);
  REQUIRE(e->PutRow("dan", "dan,5\n", true, false, 1).ok());
  REQUIRE(e->RenameRow("bob", "dan", true, 1).status().code() == Code::kExists);
  REQUIRE(e->RenameRow("bob", "eve", true, 1).ok());
  REQUIRE(Render(*e->Current()) == "name,v\nann,1\neve,2\ndan,5\n");
  REQUIRE(e->RenameRow("eve", "dan", false, 1).ok());
  REQUIRE(Render(*e->Current()) == "name,v\nann,1\ndan,2\n");
  REQUIRE(e->Append("../x,1\n", 1).status().code() == Code::kInvalid);
  REQUIRE(e->Append(",1\n", 1).status().code() == Code::kInvalid);
  e.reset();
  auto again = OpenOk(Opts(env.get(), "name"));
  REQUIRE(Render(*again->Current()) == "name,v\nann,1\ndan,2\n");
  again.reset();
  PutFile(env.get(), "/d", "t.csv", "name,v\nann,1\nann,2\n");
  auto dup = Engine::Open(Opts(env.get(), "name"));
  REQUIRE(dup.status().code() == Code::kInvalid);
  REQUIRE_THAT(dup.status().message(), Catch::Contains("line 3"));
}

TEST_CASE("engine: old snapshots stay unchanged while the table changes") {
  auto env = csvfs::core::NewMemEnv();
  PutFile(env.get(), "/d", "t.csv", "h\na\nb\n");
  auto e = OpenOk(Opts(env.get()));
  auto s0 = e->Current();
  REQUIRE(e->Append("c\n", 1).ok());
  auto s1 = e->Current();
  REQUIRE(e->DeleteRow("1", 1).ok());
  REQUIRE(e->Checkpoint().ok());
  REQUIRE(e->Append("d\n", 1).ok());
  REQUIRE(Render(*s0) == "h\na\nb\n");
  REQUIRE(Render(*s1) == "h\na\nb\nc\n");
  REQUIRE(s1->lineage() == s0->lineage());
  REQUIRE(e->Current()->lineage() != s0->lineage());
  REQUIRE(Render(*e->Current()) == "h\nb\nc\nd\n");
}
