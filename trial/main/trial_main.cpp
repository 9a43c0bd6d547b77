/// @file
/// tw::trial_main: the main() of a test binary, running every registered GoogleTest test.
/// Twisted: the trial command.  Link tw::trial_main instead of GTest::gtest_main.
///
/// Options, besides GoogleTest's and gMock's:
///   --tw_timeout=SECONDS   the default timeout of every TW_TEST (120 s otherwise), in virtual
///                          seconds (twisted#2675: trial's timeout from the command line);
///                          for TW_REACTOR_TEST, wall-clock seconds.
///   --tw_reactor=NAME      the reactor of every TW_REACTOR_TEST: epoll (default), poll, select.
///
/// Every test, plain TEST included, fails for an error logged during it and not flushed
/// (installLoggedErrorsListener, logged_errors.hpp).
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tw/trial/logged_errors.hpp"
#include "tw/trial/reactor_test_case.hpp"
#include "tw/trial/test_case.hpp"

int main(int argc, char** argv) {
  testing::InitGoogleMock(&argc, argv);
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    constexpr std::string_view kTimeout = "--tw_timeout=";
    if (arg.substr(0, kTimeout.size()) == kTimeout) {
      char* end = nullptr;
      double seconds = std::strtod(argv[i] + kTimeout.size(), &end);
      if (end == argv[i] + kTimeout.size() || *end != '\0' || !(seconds > 0)) {
        std::fprintf(stderr, "trial_main: --tw_timeout needs a positive number of seconds\n");
        return 2;
      }
      tw::trial::setDefaultTimeout(tw::Seconds(seconds));
      continue;
    }
    constexpr std::string_view kReactor = "--tw_reactor=";
    if (arg.substr(0, kReactor.size()) == kReactor) {
      try {
        tw::trial::setTestReactorName(arg.substr(kReactor.size()));
      } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "trial_main: --tw_reactor: %s\n", e.what());
        return 2;
      }
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;
  tw::trial::installLoggedErrorsListener();
  return RUN_ALL_TESTS();
}
