// Status and Result<T>: the engine's error values. A closed set of codes; when an error came
// from the OS the original errno value is kept (os_error()) so the adapter can report it.
// core/ never maps codes to errno constants; fs/status_errno.cc does that once.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace csvfs::core {

enum class Code {
  kOk = 0,
  kInvalid,      // malformed CSV, wrong field count, bad row file content, bad name
  kExists,       // duplicate key / row exists
  kNotFound,     // no such row / file
  kTooBig,       // record or staged image over the configured limit
  kNoSpace,      // storage full
  kIoError,      // storage failure
  kReadOnly,     // read-only mount, or store switched to read-only after a failed sync
  kCorruption,   // journal or state corrupt (mid-log), refuse to open
  kBusy,         // another instance holds the lock
  kNotPermitted, // operation refused by policy (e.g. remove the table)
  kNotSupported,
};

const char* CodeName(Code c);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string msg, int os_error = 0)
      : code_(code), os_error_(os_error), msg_(std::move(msg)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {Code::kInvalid, std::move(m)}; }
  static Status Exists(std::string m) { return {Code::kExists, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status TooBig(std::string m) { return {Code::kTooBig, std::move(m)}; }
  static Status IoError(std::string m, int os_error = 0) {
    return {Code::kIoError, std::move(m), os_error};
  }
  static Status NoSpace(std::string m, int os_error = 0) {
    return {Code::kNoSpace, std::move(m), os_error};
  }
  static Status ReadOnly(std::string m) { return {Code::kReadOnly, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status NotPermitted(std::string m) { return {Code::kNotPermitted, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int os_error() const { return os_error_; }
  const std::string& message() const { return msg_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  int os_error_ = 0;
  std::string msg_;
};

// A value or an error Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

#define CSVFS_RETURN_IF_ERROR(expr)      \
  do {                                   \
    ::csvfs::core::Status _s = (expr);   \
    if (!_s.ok()) return _s;             \
  } while (0)

}  // namespace csvfs::core
