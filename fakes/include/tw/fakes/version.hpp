/// @file
/// The version of tw::fakes: a placeholder that makes tw_fakes a real library until the fakes land.
/// Twisted: none.  Tests: tests/fakes/version_test.cpp
#pragma once

#include <string_view>

namespace tw::fakes {

/// The version of tw this library was built from, e.g. "0.1.0".
std::string_view version() noexcept;

}  // namespace tw::fakes
