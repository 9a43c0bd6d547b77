/// @file
/// The plugins of tw-run: `echo` (examples/echo) and `qotd` (examples/qotd), each a TCP server
/// service that logs "<name> LISTENING <port>" once listening.
/// Twisted: twisted/plugins/twisted_*.py (IServiceMaker plugins for twistd).
/// Tests: examples/tw_run/process_tests/tw_run_test.cpp
#pragma once

#include "tw/runner.hpp"

namespace tw_run {

/// Registers `echo` and `qotd` (both with --port and --interface; qotd also --quote).
void registerPlugins(tw::PluginRegistry& registry);

}  // namespace tw_run
