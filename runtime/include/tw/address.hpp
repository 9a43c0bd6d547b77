/// @file
/// The concrete addresses: IPv4Address, IPv6Address and UNIXAddress.
/// Twisted: twisted.internet.address.  Tests: tests/runtime/address_test.cpp
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tw/interfaces/i_address.hpp"

namespace tw {

/// An IPv4 address and port of a TCP or UDP socket.
class IPv4Address final : public IAddress {
 public:
  /// @param type  "TCP" or "UDP".
  /// @throws std::invalid_argument for another type.
  IPv4Address(std::string type, std::string host, int port);

  /// "TCP" or "UDP".
  const std::string& type() const noexcept { return type_; }
  /// The dotted-quad host, e.g. "127.0.0.1".
  const std::string& host() const noexcept { return host_; }
  /// The port number.
  int port() const noexcept { return port_; }

  /// "IPv4Address(type='TCP', host='127.0.0.1', port=8080)".
  std::string repr() const override;
  bool equals(const IAddress& other) const override;

 private:
  std::string type_;
  std::string host_;
  int port_;
};

/// An IPv6 address and port of a TCP or UDP socket.
class IPv6Address final : public IAddress {
 public:
  /// @param type  "TCP" or "UDP".
  /// @throws std::invalid_argument for another type.
  IPv6Address(std::string type, std::string host, int port, unsigned flowInfo = 0,
              unsigned scopeID = 0);

  const std::string& type() const noexcept { return type_; }
  /// The host in textual form, e.g. "::1".
  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }
  unsigned flowInfo() const noexcept { return flowInfo_; }
  unsigned scopeID() const noexcept { return scopeID_; }

  /// "IPv6Address(type='TCP', host='::1', port=8080, flowInfo=0, scopeID=0)".
  std::string repr() const override;
  bool equals(const IAddress& other) const override;

 private:
  std::string type_;
  std::string host_;
  int port_;
  unsigned flowInfo_;
  unsigned scopeID_;
};

/// The address of a UNIX socket: a path, an abstract name (starting with '\0'), or none (an
/// unbound client socket).
class UNIXAddress final : public IAddress {
 public:
  explicit UNIXAddress(std::optional<std::string> name);

  /// The socket's path, or nothing for an unnamed socket.
  const std::optional<std::string>& name() const noexcept { return name_; }

  /// "UNIXAddress('/tmp/sock')" or "UNIXAddress(None)".
  std::string repr() const override;
  bool equals(const IAddress& other) const override;

 private:
  std::optional<std::string> name_;
};

/// True if `host` is an IPv6 literal (e.g. "::1", "fe80::1%eth0"), as
/// twisted.internet.abstract.isIPv6Address decides.
bool isIPv6Address(std::string_view host);

/// True if `host` is a dotted-quad IPv4 literal.  Twisted: abstract.isIPAddress.
bool isIPAddress(std::string_view host);

}  // namespace tw
