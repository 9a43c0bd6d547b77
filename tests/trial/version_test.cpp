#include "tw/trial/version.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

// The library reports the version of the build it came from, as MAJOR.MINOR.PATCH.
TEST(TrialVersionTests, isMajorMinorPatch) {
  EXPECT_THAT(std::string(tw::trial::version()), testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}
