// The one place where engine Status codes become errno values (README "Errors").
#pragma once

#include "core/status.h"

namespace csvfs::fs {

// errno for a failed Status (0 for an ok Status).
int StatusToErrno(const core::Status& status);

}  // namespace csvfs::fs
