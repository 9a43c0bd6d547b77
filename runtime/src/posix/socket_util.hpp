/// @file
/// Internal helpers shared by the socket transports of src/posix/ (tcp.cpp, udp.cpp): the
/// conversions between sockaddrs and tw addresses, IP literal parsing
/// and boolean socket options.  Not installed; not part of the public API.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "tw/address.hpp"
#include "tw/detail/stream_socket.hpp"  // SocketAddress

namespace tw::detail {

/// errno as a std::error_code.
inline std::error_code lastError() { return {errno, std::generic_category()}; }

/// An IPv4Address or IPv6Address of type `type` ("TCP" or "UDP") for `sa`.
inline AddressPtr toAddress(const sockaddr* sa, const char* type) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof buf);
    return std::make_shared<IPv6Address>(type, buf, ntohs(s6->sin6_port), ntohl(s6->sin6_flowinfo),
                                         s6->sin6_scope_id);
  }
  const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
  ::inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf);
  return std::make_shared<IPv4Address>(type, buf, ntohs(s4->sin_port));
}

/// The local address of socket `fd` (getsockname), or nullptr.
inline AddressPtr localAddress(int fd, const char* type) {
  SocketAddress a;
  a.len = sizeof a.ss;
  if (::getsockname(fd, a.get(), &a.len) != 0) return nullptr;
  return toAddress(a.get(), type);
}

/// Parses an IP literal (IPv4, or IPv6 with an optional %scope) and a port into `out`.
inline bool parseNumeric(const std::string& host, int port, SocketAddress& out,
                         int socktype = SOCK_STREAM) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || res == nullptr) {
    return false;
  }
  std::memcpy(&out.ss, res->ai_addr, res->ai_addrlen);
  out.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return true;
}

/// A boolean socket option; false if it cannot be read (or `fd` is closed).
inline bool getBoolOption(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (fd < 0 || ::getsockopt(fd, level, name, &value, &len) != 0) return false;
  return value != 0;
}

/// Sets a boolean socket option; returns false (errno set) on failure.
inline bool setBoolOption(int fd, int level, int name, bool enabled) {
  const int value = enabled ? 1 : 0;
  return fd >= 0 && ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace tw::detail
