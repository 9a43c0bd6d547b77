/// @file
/// The concrete addresses.  Tests: tests/runtime/address_test.cpp
#include "tw/address.hpp"

#include <arpa/inet.h>

#include <stdexcept>

namespace tw {

namespace {

void checkType(const std::string& type) {
  if (type != "TCP" && type != "UDP") {
    throw std::invalid_argument("address type must be 'TCP' or 'UDP', not '" + type + "'");
  }
}

}  // namespace

IPv4Address::IPv4Address(std::string type, std::string host, int port)
    : type_(std::move(type)), host_(std::move(host)), port_(port) {
  checkType(type_);
}

std::string IPv4Address::repr() const {
  return "IPv4Address(type='" + type_ + "', host='" + host_ + "', port=" + std::to_string(port_) +
         ")";
}

bool IPv4Address::equals(const IAddress& other) const {
  const auto* o = dynamic_cast<const IPv4Address*>(&other);
  return o != nullptr && o->type_ == type_ && o->host_ == host_ && o->port_ == port_;
}

IPv6Address::IPv6Address(std::string type, std::string host, int port, unsigned flowInfo,
                         unsigned scopeID)
    : type_(std::move(type)),
      host_(std::move(host)),
      port_(port),
      flowInfo_(flowInfo),
      scopeID_(scopeID) {
  checkType(type_);
}

std::string IPv6Address::repr() const {
  return "IPv6Address(type='" + type_ + "', host='" + host_ + "', port=" + std::to_string(port_) +
         ", flowInfo=" + std::to_string(flowInfo_) + ", scopeID=" + std::to_string(scopeID_) + ")";
}

bool IPv6Address::equals(const IAddress& other) const {
  const auto* o = dynamic_cast<const IPv6Address*>(&other);
  return o != nullptr && o->type_ == type_ && o->host_ == host_ && o->port_ == port_ &&
         o->flowInfo_ == flowInfo_ && o->scopeID_ == scopeID_;
}

UNIXAddress::UNIXAddress(std::optional<std::string> name) : name_(std::move(name)) {}

std::string UNIXAddress::repr() const {
  if (!name_) return "UNIXAddress(None)";
  std::string out = "UNIXAddress('";
  for (char c : *name_) {
    if (c == '\0') {
      out += "\\x00";
    } else {
      out += c;
    }
  }
  return out + "')";
}

bool UNIXAddress::equals(const IAddress& other) const {
  const auto* o = dynamic_cast<const UNIXAddress*>(&other);
  return o != nullptr && o->name_ == name_;
}

bool isIPv6Address(std::string_view host) {
  std::string text(host.substr(0, host.find('%')));
  if (host.find('%') != std::string_view::npos && host.find('%') + 1 >= host.size()) return false;
  in6_addr out{};
  return inet_pton(AF_INET6, text.c_str(), &out) == 1;
}

bool isIPAddress(std::string_view host) {
  std::string text(host);
  in_addr out{};
  return inet_pton(AF_INET, text.c_str(), &out) == 1;
}

}  // namespace tw
