/// @file
/// FailCount.  Tests: tests/fakes/fail_count_test.cpp
#include "tw/fakes/fail_count.hpp"

#include "tw/error.hpp"

namespace tw::fakes {

FailCount::FailCount(std::size_t n, std::exception_ptr error)
    : n_(n),
      error_(error ? std::move(error)
                   : std::make_exception_ptr(tw::error::ConnectionLost("injected failure"))) {}

bool FailCount::fail() noexcept {
  std::size_t index = count_++;
  if (index >= n_) failed_ = true;
  return index >= n_;
}

void FailCount::check() {
  if (fail()) std::rethrow_exception(error_);
}

}  // namespace tw::fakes
