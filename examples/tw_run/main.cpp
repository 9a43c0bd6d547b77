/// @file
/// tw-run: the twistd-like runner with the echo and qotd plugins.
/// `tw-run [--nodaemon] [--pidfile=PATH] [--logfile=PATH] [--reactor=NAME] echo --port 8007`.
/// Twisted: the twistd script.  Tests: examples/tw_run/process_tests/tw_run_test.cpp
#include "plugins.hpp"
#include "tw/runner.hpp"

int main(int argc, char** argv) {
  tw::PluginRegistry plugins;
  tw_run::registerPlugins(plugins);
  return tw::runnerMain(argc, argv, plugins);
}
