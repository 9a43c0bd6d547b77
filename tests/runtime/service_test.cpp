/// @file
/// Tests for Service, MultiService and Application.
/// Twisted: twisted.test.test_application.ServiceTests, twisted.application.test.test_service.
#include "tw/service.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "result_helpers.hpp"
#include "tw/logger.hpp"

namespace {

using tw::Application;
using tw::Deferred;
using tw::MultiService;
using tw::Service;
using tw::test::assertNoResult;
using tw::test::ExpectNoLoggedErrors;
using tw::test::successResultOf;

/// A service that records its starts and stops in a shared journal and, optionally, stops
/// only when the test fires its Deferred.
class RecordingService : public Service {
 public:
  RecordingService(std::string label, std::vector<std::string>& journal)
      : label_(std::move(label)), journal_(journal) {}
  void privilegedStartService() override {
    Service::privilegedStartService();
    journal_.push_back("privileged " + label_);
  }
  void startService() override {
    Service::startService();
    journal_.push_back("start " + label_);
  }
  Deferred<void> stopService() override {
    Service::stopService();
    journal_.push_back("stop " + label_);
    if (holdStop) {
      pending = Deferred<void>();
      return *pending;
    }
    return tw::succeed();
  }
  bool holdStop = false;
  std::optional<Deferred<void>> pending;

 private:
  std::string label_;
  std::vector<std::string>& journal_;
};

// Twisted: test_application.ServiceTests.testName
TEST(ServiceTests, name) {
  auto s = std::make_shared<Service>();
  EXPECT_EQ(s->name(), "");
  s->setName("hello");
  EXPECT_EQ(s->name(), "hello");
}

// Twisted: test_application.ServiceTests.testParent
TEST(ServiceTests, parent) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setServiceParent(p);
  ASSERT_EQ(p.services().size(), 1u);
  EXPECT_EQ(p.services()[0], s);
  EXPECT_EQ(s->parent(), &p);
}

// Twisted: test_application.ServiceTests.testApplicationAsParent
TEST(ServiceTests, applicationAsParent) {
  auto s = std::make_shared<Service>();
  Application app("name");
  EXPECT_EQ(app.name(), "name");
  s->setServiceParent(app);
  EXPECT_EQ(app.services().size(), 1u);
  EXPECT_EQ(s->parent(), &app);
}

// Twisted: test_application.ServiceTests.testNamedChild
TEST(ServiceTests, namedChild) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setName("hello");
  s->setServiceParent(p);
  EXPECT_EQ(p.services().size(), 1u);
  EXPECT_EQ(p.getServiceNamed("hello"), s);
  EXPECT_THROW((void)p.getServiceNamed("other"), std::out_of_range);
}

// Twisted: test_application.ServiceTests.testDoublyNamedChild
TEST(ServiceTests, renameWithParentThrows) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setName("hello");
  s->setServiceParent(p);
  EXPECT_THROW(s->setName("lala"), std::runtime_error);
  EXPECT_EQ(s->name(), "hello");
}

// Twisted: test_application.ServiceTests.testDuplicateNamedChild
TEST(ServiceTests, duplicateNamedChild) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setName("hello");
  s->setServiceParent(p);
  auto s2 = std::make_shared<Service>();
  s2->setName("hello");
  EXPECT_THROW(s2->setServiceParent(p), std::runtime_error);
  EXPECT_EQ(p.services().size(), 1u);
  EXPECT_EQ(s2->parent(), nullptr);  // differs from Twisted: not left half-attached
}

// Twisted: test_application.ServiceTests.testDisowning
TEST(ServiceTests, disowning) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setServiceParent(p);
  EXPECT_EQ(p.services().size(), 1u);
  successResultOf(s->disownServiceParent());
  EXPECT_TRUE(p.services().empty());
  EXPECT_EQ(s->parent(), nullptr);
}

// setServiceParent needs the service to be owned by a shared_ptr (the parent shares it).
TEST(ServiceTests, setServiceParentNeedsSharedOwnership) {
  Service s;
  MultiService p;
  EXPECT_THROW(s.setServiceParent(p), std::bad_weak_ptr);
  EXPECT_TRUE(p.services().empty());
  EXPECT_EQ(s.parent(), nullptr);
}

// Reparenting leaves the old parent first.
TEST(ServiceTests, setServiceParentLeavesTheOldParent) {
  auto s = std::make_shared<Service>();
  s->setName("x");
  MultiService p1;
  MultiService p2;
  s->setServiceParent(p1);
  s->setServiceParent(p2);
  EXPECT_TRUE(p1.services().empty());
  EXPECT_EQ(p2.getServiceNamed("x"), s);
  EXPECT_EQ(s->parent(), &p2);
}

// Twisted: test_application.ServiceTests.testRunning
TEST(ServiceTests, running) {
  Service s;
  EXPECT_FALSE(s.running());
  s.startService();
  EXPECT_TRUE(s.running());
  successResultOf(s.stopService());
  EXPECT_FALSE(s.running());
}

// Twisted: test_application.ServiceTests.testRunningChildren1
TEST(ServiceTests, runningChildren) {
  auto s = std::make_shared<Service>();
  MultiService p;
  s->setServiceParent(p);
  EXPECT_FALSE(s->running());
  EXPECT_FALSE(p.running());
  p.startService();
  EXPECT_TRUE(s->running());
  EXPECT_TRUE(p.running());
  successResultOf(p.stopService());
  EXPECT_FALSE(s->running());
  EXPECT_FALSE(p.running());
}

// Twisted: test_application.ServiceTests.testRunningChildren2: a child stopping after its
// parent is already marked stopped (the parent's flag drops first).
TEST(ServiceTests, parentIsStoppedBeforeItsChildren) {
  MultiService p;
  std::vector<bool> parentRunningSeen;
  class Watcher : public Service {
   public:
    Watcher(MultiService& p, std::vector<bool>& seen) : p_(p), seen_(seen) {}
    Deferred<void> stopService() override {
      seen_.push_back(p_.running());
      return Service::stopService();
    }
    MultiService& p_;
    std::vector<bool>& seen_;
  };
  auto s = std::make_shared<Watcher>(p, parentRunningSeen);
  s->setServiceParent(p);
  p.startService();
  successResultOf(p.stopService());
  EXPECT_EQ(parentRunningSeen, (std::vector<bool>{false}));
}

// Twisted: test_application.ServiceTests.testAddingIntoRunning
TEST(ServiceTests, addingIntoRunning) {
  MultiService p;
  p.startService();
  std::vector<std::string> journal;
  auto s = std::make_shared<RecordingService>("a", journal);
  EXPECT_FALSE(s->running());
  s->setServiceParent(p);
  EXPECT_TRUE(s->running());
  EXPECT_EQ(journal, (std::vector<std::string>{"privileged a", "start a"}));
  successResultOf(s->disownServiceParent());
  EXPECT_FALSE(s->running());
  EXPECT_EQ(journal.back(), "stop a");
}

// Removing a child from a stopped collection does not stop it.
TEST(ServiceTests, removingFromStoppedDoesNotStop) {
  MultiService p;
  std::vector<std::string> journal;
  auto s = std::make_shared<RecordingService>("a", journal);
  s->setServiceParent(p);
  successResultOf(p.removeService(*s));
  EXPECT_TRUE(journal.empty());
  EXPECT_THROW((void)p.removeService(*s), std::invalid_argument);
}

// Twisted: test_application.ServiceTests.testPrivileged
TEST(ServiceTests, privileged) {
  MultiService p;
  std::vector<std::string> journal;
  auto s = std::make_shared<RecordingService>("a", journal);
  s->setServiceParent(p);
  p.privilegedStartService();
  EXPECT_EQ(journal, (std::vector<std::string>{"privileged a"}));
  EXPECT_FALSE(s->running());
}

// Twisted: test_service.MultiServiceTests (SVC-01): start in order, stop in reverse order.
TEST(MultiServiceTests, startsInOrderStopsInReverse) {
  std::vector<std::string> journal;
  MultiService p;
  for (const char* label : {"a", "b", "c"}) {
    std::make_shared<RecordingService>(label, journal)->setServiceParent(p);
  }
  p.privilegedStartService();
  p.startService();
  successResultOf(p.stopService());
  EXPECT_EQ(journal,
            (std::vector<std::string>{"privileged a", "privileged b", "privileged c", "start a",
                                      "start b", "start c", "stop c", "stop b", "stop a"}));
}

// stopService calls every child's stop at once and waits for all their Deferreds.
TEST(MultiServiceTests, stopWaitsForEveryChild) {
  std::vector<std::string> journal;
  MultiService p;
  auto a = std::make_shared<RecordingService>("a", journal);
  auto b = std::make_shared<RecordingService>("b", journal);
  a->holdStop = true;
  b->holdStop = true;
  a->setServiceParent(p);
  b->setServiceParent(p);
  p.startService();
  Deferred<void> d = p.stopService();
  EXPECT_EQ(journal.back(), "stop a");  // b was asked first, a did not wait for it
  assertNoResult(d);
  b->pending->callback();
  assertNoResult(d);
  a->pending->callback();
  successResultOf(d);
}

// A child whose stop throws does not keep the others from stopping; its error is logged.
TEST(MultiServiceTests, failingChildStopIsLoggedAndOthersStop) {
  std::vector<std::string> journal;
  MultiService p;
  auto a = std::make_shared<RecordingService>("a", journal);
  class Broken : public Service {
   public:
    Deferred<void> stopService() override { throw std::runtime_error("boom"); }
  };
  a->setServiceParent(p);
  std::make_shared<Broken>()->setServiceParent(p);
  p.startService();
  tw::LogCapture capture;
  successResultOf(p.stopService());
  EXPECT_EQ(journal.back(), "stop a");
  auto errors = capture.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].format().find("boom"), std::string::npos);
}

// A MultiService nested in another is started and stopped with it.
TEST(MultiServiceTests, nested) {
  std::vector<std::string> journal;
  Application app("app");
  auto inner = std::make_shared<MultiService>();
  inner->setName("inner");
  inner->setServiceParent(app);
  std::make_shared<RecordingService>("x", journal)->setServiceParent(*inner);
  std::make_shared<RecordingService>("y", journal)->setServiceParent(app);
  app.startService();
  successResultOf(app.stopService());
  EXPECT_EQ(journal, (std::vector<std::string>{"start x", "start y", "stop y", "stop x"}));
}

// A parent destroyed first leaves no dangling parent pointer.
TEST(MultiServiceTests, destroyedParentClearsChildren) {
  auto s = std::make_shared<Service>();
  {
    MultiService p;
    s->setServiceParent(p);
  }
  EXPECT_EQ(s->parent(), nullptr);
}

}  // namespace
