/// @file
/// The version of tw::trial: a placeholder that makes tw_trial a real library until trial lands.
/// Twisted: none.  Tests: tests/trial/version_test.cpp
#pragma once

#include <string_view>

namespace tw::trial {

/// The version of tw this library was built from, e.g. "0.1.0".
std::string_view version() noexcept;

}  // namespace tw::trial
