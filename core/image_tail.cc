#include "core/image_tail.h"

#include "core/csv.h"
#include "core/table.h"

namespace csvfs::core {

namespace {

// `bytes` is `image`'s tail plus a supplied line ending: that ending's size, else 0.
size_t SuppliedEol(std::string_view bytes, std::string_view image) {
  for (std::string_view eol : {std::string_view("\r\n"), std::string_view("\n")}) {
    if (bytes.size() > eol.size() && bytes.ends_with(eol) &&
        image.ends_with(bytes.substr(0, bytes.size() - eol.size()))) {
      return eol.size();
    }
  }
  return 0;
}

}  // namespace

void KeepMissingFinalEol(const Table& table, std::string_view image, Op* op) {
  if (image.empty() || image.back() == '\n' || op->type != Op::Type::kRewrite) return;
  if (!op->entries.empty()) {
    RewriteEntry& last = op->entries.back();
    if (last.keep) return;  // others' rows follow the writer's: keep the supplied ending
    const size_t eol = SuppliedEol(last.bytes, image);
    if (eol == 0) return;
    last.bytes.resize(last.bytes.size() - eol);
    auto now = table.RowBytes(last.id);
    if (now && *now == last.bytes) {
      last.keep = true;
      last.bytes.clear();
    }
    return;
  }
  // Only a header (the writer's, or the current one if the writer's parsed equal to it).
  const std::string_view current = table.current()->header();
  std::string header = op->set_header ? op->header : std::string(current);
  const size_t eol = SuppliedEol(header, image);
  if (eol == 0) return;
  header.resize(header.size() - eol);
  op->set_header = header != current;
  op->header = op->set_header ? std::move(header) : std::string();
}

}  // namespace csvfs::core
