/// @file
/// Service, MultiService (service.hpp).
#include "tw/service.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "tw/deferred_list.hpp"

namespace tw {

void Service::setName(std::string name) {
  if (parent_ != nullptr) throw std::runtime_error("cannot change name when parent exists");
  name_ = std::move(name);
}

void Service::setServiceParent(IServiceCollection& parent) {
  std::shared_ptr<Service> self = shared_from_this();  // throws bad_weak_ptr if not shared
  if (parent_ != nullptr) {
    // The old parent's removal Deferred is not awaited, as in Twisted.
    disownServiceParent();
  }
  parent_ = &parent;
  try {
    parent.addService(self);
  } catch (...) {
    parent_ = nullptr;
    throw;
  }
}

Deferred<void> Service::disownServiceParent() {
  if (parent_ == nullptr) throw std::logic_error("disownServiceParent: the service has no parent");
  std::shared_ptr<Service> keep = shared_from_this();
  Deferred<void> d = parent_->removeService(*this);
  parent_ = nullptr;
  return d;
}

Deferred<void> Service::stopService() {
  running_ = false;
  return succeed();
}

MultiService::~MultiService() {
  for (const std::shared_ptr<IService>& s : services_) {
    if (s->parent() == this) s->setParentPointer(nullptr);
  }
}

void MultiService::privilegedStartService() {
  Service::privilegedStartService();
  // A child may add or remove services: iterate over a copy, as Twisted iterates a list copy.
  for (const std::shared_ptr<IService>& s : std::vector(services_)) s->privilegedStartService();
}

void MultiService::startService() {
  Service::startService();
  for (const std::shared_ptr<IService>& s : std::vector(services_)) s->startService();
}

Deferred<void> MultiService::stopService() {
  Service::stopService();
  std::vector<Deferred<void>> stops;
  std::vector<std::shared_ptr<IService>> reversed(services_.rbegin(), services_.rend());
  stops.reserve(reversed.size());
  for (const std::shared_ptr<IService>& s : reversed) {
    stops.push_back(maybeDeferred([&s] { return s->stopService(); }));
  }
  return DeferredList<void>(std::move(stops)).addCallback([](DeferredList<void>::Result) {});
}

std::shared_ptr<IService> MultiService::getServiceNamed(std::string_view name) const {
  auto it = namedServices_.find(name);
  if (it == namedServices_.end()) {
    throw std::out_of_range("no service named '" + std::string(name) + "'");
  }
  return it->second;
}

void MultiService::addService(std::shared_ptr<IService> service) {
  if (!service) throw std::invalid_argument("addService: null service");
  if (!service->name().empty()) {
    if (namedServices_.contains(service->name())) {
      throw std::runtime_error("cannot have two services with same name '" + service->name() + "'");
    }
    namedServices_.emplace(service->name(), service);
  }
  services_.push_back(service);
  if (running()) {
    // Twisted: a child added to a running collection gets both starts, privileged first.
    service->privilegedStartService();
    service->startService();
  }
}

Deferred<void> MultiService::removeService(IService& service) {
  auto it = std::find_if(services_.begin(), services_.end(),
                         [&](const std::shared_ptr<IService>& s) { return s.get() == &service; });
  if (it == services_.end()) throw std::invalid_argument("removeService: not a child");
  std::shared_ptr<IService> keep = *it;
  if (!service.name().empty()) namedServices_.erase(service.name());
  services_.erase(it);
  if (running()) return maybeDeferred([&] { return keep->stopService(); });
  return succeed();
}

}  // namespace tw
