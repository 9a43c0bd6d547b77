/// @file
/// IService and IServiceCollection: something started and stopped with an application, and a
/// container of such things.
/// Twisted: twisted.application.service.IService, IServiceCollection.
/// Tests: tests/runtime/service_test.cpp
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"

namespace tw {

class IServiceCollection;

/// A service: a part of an application that is started when the application starts and stopped
/// when it stops (a listening port, a timer, a reconnecting client, ...).
///
/// Lifecycle, as the runner drives it:
/// 1. `privilegedStartService()` while the process still has its privileges (before a daemon
///    would drop root), e.g. to bind a port below 1024;
/// 2. `startService()` once the reactor runs;
/// 3. `stopService()` at shutdown; the application waits for its Deferred before the reactor
///    stops.
///
/// Ownership: services are owned through `std::shared_ptr`; a parent collection owns its
/// children, and a child's `parent()` is a plain back pointer.
class IService {
 public:
  virtual ~IService() = default;

  /// The service's name ("" for none); unique among the children of one collection.
  [[nodiscard]] virtual const std::string& name() const = 0;
  /// Renames the service.
  /// @throws std::runtime_error if it has a parent (Twisted: RuntimeError).
  virtual void setName(std::string name) = 0;
  /// The collection this service was attached to with setServiceParent, or nullptr.
  [[nodiscard]] virtual IServiceCollection* parent() const = 0;
  /// True between startService() and stopService().
  [[nodiscard]] virtual bool running() const = 0;

  /// Attaches this service to `parent` (first leaving its old parent): `parent.addService`.
  /// Preconditions: this service is owned by a std::shared_ptr.
  /// @throws std::runtime_error if `parent` already has a service of the same name.
  virtual void setServiceParent(IServiceCollection& parent) = 0;
  /// Leaves the parent: `parent()->removeService(*this)`, whose Deferred (the stop of this
  /// service if the parent was running) is returned.
  /// Preconditions: parent() is not null.
  virtual Deferred<void> disownServiceParent() = 0;

  /// Does what needs privileges (e.g. binding a low port), before startService.
  virtual void privilegedStartService() = 0;
  /// Starts the service.
  virtual void startService() = 0;
  /// Stops the service; the Deferred fires once it has stopped.
  virtual Deferred<void> stopService() = 0;

 protected:
  friend class MultiService;
  /// Sets the back pointer only (no add/remove); used by collections that go away first.
  virtual void setParentPointer(IServiceCollection* parent) noexcept = 0;
};

/// A collection of services, started and stopped together.
class IServiceCollection {
 public:
  virtual ~IServiceCollection() = default;

  /// The child named `name`.
  /// @throws std::out_of_range if there is none (Twisted: KeyError).
  [[nodiscard]] virtual std::shared_ptr<IService> getServiceNamed(std::string_view name) const = 0;
  /// The children, in the order they were added.
  [[nodiscard]] virtual std::vector<std::shared_ptr<IService>> services() const = 0;
  /// Adds a child; if the collection is running the child is started at once
  /// (privilegedStartService, then startService).
  /// @throws std::runtime_error if a child with the same (non-empty) name exists.
  virtual void addService(std::shared_ptr<IService> service) = 0;
  /// Removes a child; if the collection is running the child is stopped and the Deferred is its
  /// stopService's, otherwise it has fired already.
  /// @throws std::invalid_argument if `service` is not a child.
  virtual Deferred<void> removeService(IService& service) = 0;
};

}  // namespace tw
