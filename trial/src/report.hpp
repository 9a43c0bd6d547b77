/// @file
/// Reporting to GoogleTest at the running test's own file and line (a failure found by trial's
/// runner belongs to the test, not to trial's sources).  Internal to tw::trial.
#pragma once

#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace tw::trial::detail {

/// Reports a result of `type` with `message`, located at the current test (or "unknown file").
inline void reportAtTest(const std::string& message, ::testing::TestPartResult::Type type) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const char* file = info != nullptr && info->file() != nullptr ? info->file() : "unknown file";
  int line = info != nullptr ? info->line() : -1;
  GTEST_MESSAGE_AT_(file, line, message.c_str(), type);
}

/// `Fail() << a << b;` reports a non-fatal failure at the current test once the statement ends.
class Fail {
 public:
  Fail() = default;
  Fail(const Fail&) = delete;
  Fail& operator=(const Fail&) = delete;
  ~Fail() { reportAtTest(out_.str(), ::testing::TestPartResult::kNonFatalFailure); }
  template <class T>
  Fail& operator<<(const T& value) {
    out_ << value;
    return *this;
  }

 private:
  std::ostringstream out_;
};

}  // namespace tw::trial::detail
