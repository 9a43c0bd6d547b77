#include "tw/fakes/version.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

// The library reports the version of the build it came from, as MAJOR.MINOR.PATCH.
TEST(FakesVersionTests, isMajorMinorPatch) {
  EXPECT_THAT(std::string(tw::fakes::version()), testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}
