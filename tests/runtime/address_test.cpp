/// @file
/// Tests of the concrete addresses: repr as Twisted prints it, equality, validation.
/// Twisted: twisted/test/test_address.py.
#include "tw/address.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace {

// Twisted: IPv4AddressTestCaseMixin.test_str — the repr names type, host and port.
TEST(AddressTests, ipv4Repr) {
  EXPECT_EQ(tw::IPv4Address("TCP", "127.0.0.1", 0).repr(),
            "IPv4Address(type='TCP', host='127.0.0.1', port=0)");
}

// The IPv6 repr also shows flowInfo and scopeID.
TEST(AddressTests, ipv6Repr) {
  EXPECT_EQ(tw::IPv6Address("UDP", "::1", 80, 1, 2).repr(),
            "IPv6Address(type='UDP', host='::1', port=80, flowInfo=1, scopeID=2)");
}

// Twisted: UNIXAddressTests.test_repr, test_emptyUNIX — a named and an unnamed socket.
TEST(AddressTests, unixRepr) {
  EXPECT_EQ(tw::UNIXAddress("/tmp/s").repr(), "UNIXAddress('/tmp/s')");
  EXPECT_EQ(tw::UNIXAddress(std::nullopt).repr(), "UNIXAddress(None)");
  EXPECT_EQ(tw::UNIXAddress(std::string("\0abs", 4)).repr(), "UNIXAddress('\\x00abs')");
}

// Twisted: test_addressComparison — equal fields compare equal; any difference does not.
TEST(AddressTests, equality) {
  tw::IPv4Address a("TCP", "127.0.0.1", 0);
  EXPECT_TRUE(a == tw::IPv4Address("TCP", "127.0.0.1", 0));
  EXPECT_FALSE(a == tw::IPv4Address("UDP", "127.0.0.1", 0));
  EXPECT_FALSE(a == tw::IPv4Address("TCP", "127.0.0.2", 0));
  EXPECT_FALSE(a == tw::IPv4Address("TCP", "127.0.0.1", 1));
  EXPECT_FALSE(static_cast<const tw::IAddress&>(a) ==
               static_cast<const tw::IAddress&>(tw::IPv6Address("TCP", "127.0.0.1", 0)));
  EXPECT_TRUE(tw::UNIXAddress("/a") == tw::UNIXAddress("/a"));
  EXPECT_FALSE(tw::UNIXAddress("/a") == tw::UNIXAddress(std::nullopt));
  EXPECT_TRUE(tw::IPv6Address("TCP", "::1", 1) == tw::IPv6Address("TCP", "::1", 1));
  EXPECT_FALSE(tw::IPv6Address("TCP", "::1", 1) == tw::IPv6Address("TCP", "::1", 1, 0, 3));
}

// Only "TCP" and "UDP" are address types.
TEST(AddressTests, typeIsValidated) {
  EXPECT_THROW(tw::IPv4Address("SCTP", "127.0.0.1", 0), std::invalid_argument);
  EXPECT_THROW(tw::IPv6Address("tcp", "::1", 0), std::invalid_argument);
}

// Twisted: abstract.isIPAddress / isIPv6Address — literals are recognised, names are not.
TEST(AddressTests, literalDetection) {
  EXPECT_TRUE(tw::isIPAddress("127.0.0.1"));
  EXPECT_FALSE(tw::isIPAddress("localhost"));
  EXPECT_FALSE(tw::isIPAddress("::1"));
  EXPECT_FALSE(tw::isIPAddress("1.2.3"));
  EXPECT_TRUE(tw::isIPv6Address("::1"));
  EXPECT_TRUE(tw::isIPv6Address("fe80::1%eth0"));
  EXPECT_FALSE(tw::isIPv6Address("fe80::1%"));
  EXPECT_FALSE(tw::isIPv6Address("127.0.0.1"));
  EXPECT_FALSE(tw::isIPv6Address("example.org"));
}

}  // namespace
