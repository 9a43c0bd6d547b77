/// @file
/// IAddress: the address of one end of a connection or of a listening port.
/// Twisted: twisted.internet.interfaces.IAddress.  Tests: tests/runtime/address_test.cpp
///
/// The concrete addresses (IPv4Address, IPv6Address, UNIXAddress) are in <tw/address.hpp>.
#pragma once

#include <memory>
#include <string>

namespace tw {

/// An address of an endpoint of communication.  Addresses are immutable values, shared by
/// `std::shared_ptr<const IAddress>` (AddressPtr).
class IAddress {
 public:
  virtual ~IAddress() = default;

  /// Twisted's repr, e.g. "IPv4Address(type='TCP', host='127.0.0.1', port=8080)".
  virtual std::string repr() const = 0;

  /// True if `other` is the same kind of address with the same fields.
  virtual bool equals(const IAddress& other) const = 0;

  friend bool operator==(const IAddress& a, const IAddress& b) { return a.equals(b); }
};

/// A shared, immutable address.
using AddressPtr = std::shared_ptr<const IAddress>;

}  // namespace tw
