/// @file
/// IResolverSimple and IReactorPluggableResolver: turning host names into addresses.
/// Twisted: twisted.internet.interfaces.IResolverSimple, IReactorPluggableResolver.
/// Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// Resolves a host name to one IPv4 address.
class IResolverSimple {
 public:
  virtual ~IResolverSimple() = default;

  /// Fires with the address in dotted-quad form, or fails with tw::error::DNSLookupError
  /// (or tw::TimeoutError after `timeout`).
  virtual Deferred<std::string> getHostByName(std::string_view name, Seconds timeout) = 0;
};

/// A reactor whose resolver can be replaced (e.g. by a fake in tests).
class IReactorPluggableResolver {
 public:
  virtual ~IReactorPluggableResolver() = default;

  /// Installs `resolver` and returns the one it replaces.
  virtual std::shared_ptr<IResolverSimple> installResolver(
      std::shared_ptr<IResolverSimple> resolver) = 0;
};

}  // namespace tw
