/// @file
/// Tests for the runner's option parsing, plugin registry and pidfile check (the process-level
/// behaviour is tested by examples/tw_run/process_tests/tw_run_test.cpp).
/// Twisted: twisted.test.test_twistd (ServerOptionsTests, CheckPIDTests).
#include "tw/runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tw/service.hpp"

namespace {

using tw::HelpRequested;
using tw::OptionSpec;
using tw::PluginRegistry;
using tw::RunnerOptions;
using tw::SimpleServiceMaker;
using tw::UsageError;

PluginRegistry makeRegistry() {
  PluginRegistry registry;
  auto make = [](const tw::ServiceOptions&, tw::PosixReactorBase&) {
    return std::make_shared<tw::Service>();
  };
  registry.add(std::make_shared<SimpleServiceMaker>(
      "echo", "An echo server.",
      std::vector<OptionSpec>{{"port", "8000", "The port to listen on."},
                              {"interface", "", "The interface to bind."},
                              {"verbose", "", "Say more.", true}},
      make));
  registry.add(std::make_shared<SimpleServiceMaker>("qotd", "A quote of the day server.",
                                                    std::vector<OptionSpec>{}, make));
  return registry;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

// Runner options, then the subcommand with its own options.
TEST(RunnerOptionsTests, parsesRunnerAndPluginOptions) {
  PluginRegistry registry = makeRegistry();
  RunnerOptions o = tw::parseRunnerOptions(
      {"--nodaemon", "--pidfile=/tmp/x.pid", "--logfile=/tmp/x.log", "--reactor=poll", "echo",
       "--port", "1235", "--interface=127.0.0.1", "--verbose"},
      registry);
  EXPECT_TRUE(o.nodaemon);
  EXPECT_EQ(o.pidfile, "/tmp/x.pid");
  EXPECT_EQ(o.logfile, "/tmp/x.log");
  EXPECT_EQ(o.reactor, "poll");
  EXPECT_EQ(o.subcommand, "echo");
  EXPECT_EQ(o.serviceOptions.at("port"), "1235");
  EXPECT_EQ(o.serviceOptions.at("interface"), "127.0.0.1");
  EXPECT_EQ(o.serviceOptions.at("verbose"), "1");
}

// Short forms and separate values; the defaults of twistd (pidfile; log to stdout with -n).
TEST(RunnerOptionsTests, shortFormsAndDefaults) {
  PluginRegistry registry = makeRegistry();
  RunnerOptions o = tw::parseRunnerOptions({"-n", "-r", "select", "echo"}, registry);
  EXPECT_TRUE(o.nodaemon);
  EXPECT_EQ(o.reactor, "select");
  EXPECT_EQ(o.pidfile, "tw-run.pid");
  EXPECT_EQ(o.logfile, "-");
  EXPECT_EQ(o.serviceOptions.at("port"), "8000");
  EXPECT_EQ(o.serviceOptions.at("verbose"), "0");
  RunnerOptions d = tw::parseRunnerOptions({"--pidfile", "", "-l", "a.log", "qotd"}, registry);
  EXPECT_FALSE(d.nodaemon);
  EXPECT_EQ(d.pidfile, "");
  EXPECT_EQ(d.logfile, "a.log");
  EXPECT_EQ(tw::parseRunnerOptions({"qotd"}, registry).logfile, "tw-run.log");
}

// Unknown subcommands and options are usage errors naming the culprit.
TEST(RunnerOptionsTests, clearErrors) {
  PluginRegistry registry = makeRegistry();
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"-n", "nope"}, registry);
            }),
            "unknown command: nope");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"--frobnicate", "echo"}, registry);
            }),
            "option --frobnicate not recognized");
  EXPECT_EQ(messageOf([&] { (void)tw::parseRunnerOptions({"-n"}, registry); }),
            "a command is required (one of: echo, qotd)");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"echo", "--color=red"}, registry);
            }),
            "option --color not recognized by echo");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"echo", "--port"}, registry);
            }),
            "option --port requires a value");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"echo", "stray"}, registry);
            }),
            "unexpected argument 'stray' for echo");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"echo", "--verbose=1"}, registry);
            }),
            "option --verbose takes no value");
  EXPECT_EQ(messageOf([&] {
              (void)tw::parseRunnerOptions({"-r", "kqueue", "echo"}, registry);
            }),
            "unknown reactor 'kqueue' (one of epoll, poll, select)");
  EXPECT_THROW((void)tw::parseRunnerOptions({"--logfile"}, registry), UsageError);
}

// --help lists the plugins with their descriptions; a plugin's --help gives its options.
TEST(RunnerOptionsTests, helpListsPlugins) {
  PluginRegistry registry = makeRegistry();
  std::string help = messageOf([&] { (void)tw::parseRunnerOptions({"--help"}, registry); });
  EXPECT_NE(help.find("--nodaemon"), std::string::npos);
  EXPECT_NE(help.find("--pidfile"), std::string::npos);
  EXPECT_NE(help.find("echo"), std::string::npos);
  EXPECT_NE(help.find("An echo server."), std::string::npos);
  EXPECT_NE(help.find("A quote of the day server."), std::string::npos);
  EXPECT_THROW((void)tw::parseRunnerOptions({"-h"}, registry), HelpRequested);
  std::string pluginHelp = messageOf([&] {
    (void)tw::parseRunnerOptions({"echo", "--help"}, registry);
  });
  EXPECT_NE(pluginHelp.find("--port=VALUE"), std::string::npos);
  EXPECT_NE(pluginHelp.find("[default: 8000]"), std::string::npos);
  EXPECT_EQ(pluginHelp.find("Commands:"), std::string::npos);
}

// The registry refuses a second plugin with the same name and finds plugins by name.
TEST(PluginRegistryTests, findAndDuplicates) {
  PluginRegistry registry = makeRegistry();
  ASSERT_NE(registry.find("echo"), nullptr);
  EXPECT_EQ(registry.find("echo")->description(), "An echo server.");
  EXPECT_EQ(registry.find("nope"), nullptr);
  ASSERT_EQ(registry.plugins().size(), 2u);
  EXPECT_EQ(registry.plugins()[0]->tapname(), "echo");
  EXPECT_THROW(registry.add(std::make_shared<SimpleServiceMaker>(
                   "echo", "again", std::vector<OptionSpec>{},
                   [](const tw::ServiceOptions&, tw::PosixReactorBase&) {
                     return std::make_shared<tw::Service>();
                   })),
               std::invalid_argument);
}

// makeReactor makes the three backends and refuses others.
TEST(RunnerOptionsTests, makeReactor) {
  EXPECT_EQ(tw::makeReactor("epoll")->backendName(), "epoll");
  EXPECT_EQ(tw::makeReactor("poll")->backendName(), "poll");
  EXPECT_EQ(tw::makeReactor("select")->backendName(), "select");
  EXPECT_THROW((void)tw::makeReactor("kqueue"), UsageError);
}

class PidfileTests : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("tw_runner_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "test.pid").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::filesystem::path dir_;
  std::string path_;
};

// Twisted: test_twistd.CheckPIDTests.test_notExists
TEST_F(PidfileTests, absent) { EXPECT_EQ(tw::checkPidfile(path_), tw::PidfileState::kAbsent); }

// Twisted: test_twistd.CheckPIDTests.test_stillRunning
TEST_F(PidfileTests, liveProcessRefuses) {
  write(std::to_string(::getpid()) + "\n");
  std::string message = messageOf([&] { (void)tw::checkPidfile(path_); });
  EXPECT_NE(message.find("Another tw-run server is running, PID " + std::to_string(::getpid())),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path_));
}

// Twisted: test_twistd.CheckPIDTests.test_staleRemoved
TEST_F(PidfileTests, staleIsRemoved) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  write(std::to_string(child) + "\n");
  EXPECT_EQ(tw::checkPidfile(path_), tw::PidfileState::kStale);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

// Twisted: test_twistd.CheckPIDTests.test_nonNumeric
TEST_F(PidfileTests, nonNumeric) {
  write("PID\n");
  EXPECT_EQ(messageOf([&] { (void)tw::checkPidfile(path_); }),
            "Pidfile " + path_ + " contains non-numeric value");
}

}  // namespace
