/// @file
/// IHostnameResolver: turning a host name into every address (IPv4 and IPv6) it has.
/// Twisted: twisted.internet.interfaces.IHostnameResolver.  Tests: tests/runtime/endpoints_test.cpp
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_address.hpp"

namespace tw {

/// Resolves a host name to the stream (TCP) addresses a client may connect to.
///
/// Differs from Twisted: the result is one Deferred of the whole list instead of an
/// IResolutionReceiver told about each address; the address types and transport semantics are
/// fixed (IPv4 and IPv6, TCP).
class IHostnameResolver {
 public:
  virtual ~IHostnameResolver() = default;

  /// Fires with the addresses of `host` (tw::IPv4Address or tw::IPv6Address, type "TCP", with
  /// `port`), in the order a client should try them (possibly none), or fails with
  /// tw::error::DNSLookupError.  The Deferred fires on the caller's (reactor's) thread.
  virtual Deferred<std::vector<AddressPtr>> resolveHostName(std::string_view host, int port) = 0;
};

/// A reactor with a resolver of its own, which endpoints use when given none.
/// Twisted: twisted.internet.interfaces.IReactorPluggableNameResolver.
class IReactorPluggableNameResolver {
 public:
  virtual ~IReactorPluggableNameResolver() = default;

  /// The reactor's resolver (the real reactors: getaddrinfo on their thread pool).
  virtual std::shared_ptr<IHostnameResolver> nameResolver() = 0;
  /// Installs `resolver` and returns the one it replaces.
  virtual std::shared_ptr<IHostnameResolver> installNameResolver(
      std::shared_ptr<IHostnameResolver> resolver) = 0;
};

}  // namespace tw
