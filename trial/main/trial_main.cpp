/// @file
/// tw::trial_main: the main() of a test binary, running every registered GoogleTest test.
/// Twisted: the trial command.  Link tw::trial_main instead of GTest::gtest_main.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}
