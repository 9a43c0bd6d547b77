/// @file
/// The version of tw::trial.
#include "tw/trial/version.hpp"

namespace tw::trial {

std::string_view version() noexcept { return TW_VERSION; }

}  // namespace tw::trial
