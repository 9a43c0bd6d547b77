/// @file
/// The version of tw::fakes.
#include "tw/fakes/version.hpp"

namespace tw::fakes {

std::string_view version() noexcept { return TW_VERSION; }

}  // namespace tw::fakes
