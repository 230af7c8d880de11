// A rewrite image that ends without a line ending (`truncate -s` in the middle of a record,
// an editor that saves without a final newline): the table keeps it that way, as a file
// would, as long as the writer's last record stays the table's last. Only when rows others
// appended meanwhile follow it is the line ending supplied (records are never glued).
#pragma once

#include <string_view>

#include "core/op.h"

namespace csvfs::core {

class Table;

// Called on a decided kRewrite `op` merged from `image`: drops the line ending that parsing
// supplied to the image's last record (or its header) when that record ends the table, and
// turns it back into a kept row if its bytes then equal the current ones. O(1).
void KeepMissingFinalEol(const Table& table, std::string_view image, Op* op);

}  // namespace csvfs::core
