/// @file
/// Service, MultiService and Application: the pieces an application is assembled from, started
/// and stopped in order.
/// Twisted: twisted.application.service (Service, MultiService, Application).
/// Tests: tests/runtime/service_test.cpp
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_service.hpp"

namespace tw {

/// The base service: keeps the name, the parent and the running flag. Derive from it and
/// override startService/stopService (calling the base first, as in Twisted).
///
/// @code
/// auto app = std::make_shared<tw::Application>("demo");
/// auto svc = std::make_shared<tw::Service>();
/// svc->setName("one");
/// svc->setServiceParent(*app);
/// app->startService();          // svc->running() == true
/// app->stopService();           // fired: every child has stopped
/// @endcode
///
/// Differs from Twisted:
/// 1. stopService returns a `Deferred<void>` always (Twisted may return None).
/// 2. When `setServiceParent` fails because the name is taken, the service is left without a
///    parent (Twisted leaves `parent` pointing at the collection that refused it).
/// 3. No pickling support (`__getstate__`).
class Service : public IService, public std::enable_shared_from_this<Service> {
 public:
  Service() = default;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service() override = default;

  [[nodiscard]] const std::string& name() const override { return name_; }
  void setName(std::string name) override;
  [[nodiscard]] IServiceCollection* parent() const override { return parent_; }
  [[nodiscard]] bool running() const override { return running_; }
  void setServiceParent(IServiceCollection& parent) override;
  Deferred<void> disownServiceParent() override;
  /// Does nothing.
  void privilegedStartService() override {}
  /// Marks the service running.
  void startService() override { running_ = true; }
  /// Marks the service stopped; the Deferred has fired.
  Deferred<void> stopService() override;

 protected:
  void setParentPointer(IServiceCollection* parent) noexcept override { parent_ = parent; }

 private:
  std::string name_;
  IServiceCollection* parent_ = nullptr;
  bool running_ = false;
};

/// A service made of child services: starting it starts the children in the order they were
/// added, stopping it stops them in REVERSE order and waits for all of them.
///
/// Rules, as Twisted's:
/// 1. `privilegedStartService` and `startService` run the children's in insertion order.
/// 2. `stopService` calls every child's stopService (last added first) at once, without
///    waiting for one before the next, and fires when all of their Deferreds have fired. A
///    child that throws or fails does not stop the others; its failure is not consumed (it is
///    reported as an unhandled error) and the MultiService's Deferred still succeeds.
/// 3. A child added while running is started at once; a child removed while running is stopped.
/// 4. Two children may not share a non-empty name.
///
/// Differs from Twisted: a MultiService that is destroyed first clears its children's parent
/// pointers (Python keeps the parent alive through the reference).
class MultiService : public Service, public IServiceCollection {
 public:
  MultiService() = default;
  ~MultiService() override;

  void privilegedStartService() override;
  void startService() override;
  Deferred<void> stopService() override;

  [[nodiscard]] std::shared_ptr<IService> getServiceNamed(std::string_view name) const override;
  [[nodiscard]] std::vector<std::shared_ptr<IService>> services() const override {
    return services_;
  }
  void addService(std::shared_ptr<IService> service) override;
  Deferred<void> removeService(IService& service) override;

 private:
  std::vector<std::shared_ptr<IService>> services_;
  std::map<std::string, std::shared_ptr<IService>, std::less<>> namedServices_;
};

/// The root of an application: a named MultiService the runner starts and stops.
///
/// Differs from Twisted: Twisted's `Application(name, uid, gid)` is a Componentized object
/// whose IService adapter is a MultiService, with IProcess (uid, gid) and persistence
/// components; here it is the MultiService itself, named `name`, and it has no uid/gid or
/// persistence.
class Application : public MultiService {
 public:
  /// An application named `name`.
  explicit Application(std::string name) { setName(std::move(name)); }
};

}  // namespace tw
