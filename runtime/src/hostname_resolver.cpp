/// @file
/// BlockingHostnameResolver and ThreadedHostnameResolver: getaddrinfo on the caller's thread or
/// on a thread pool.  Twisted: twisted.internet._resolver.GAIResolver.
/// Tests: tests/runtime/endpoints_test.cpp, tests/integration/endpoints_test.cpp
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "tw/address.hpp"
#include "tw/endpoints.hpp"
#include "tw/error.hpp"
#include "tw/threads.hpp"

namespace tw {

std::vector<AddressPtr> BlockingHostnameResolver::resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    throw error::DNSLookupError(host + ": " + ::gai_strerror(rc));
  }
  std::vector<AddressPtr> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
      out.push_back(std::make_shared<IPv4Address>("TCP", buf, port));
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
      out.push_back(std::make_shared<IPv6Address>("TCP", buf, port, ntohl(sin6->sin6_flowinfo),
                                                  sin6->sin6_scope_id));
    }
  }
  ::freeaddrinfo(res);
  return out;
}

Deferred<std::vector<AddressPtr>> BlockingHostnameResolver::resolveHostName(std::string_view host,
                                                                            int port) {
  return maybeDeferred([&] { return resolve(std::string(host), port); });
}

Deferred<std::vector<AddressPtr>> ThreadedHostnameResolver::resolveHostName(std::string_view host,
                                                                            int port) {
  return deferToThreadPool(*reactor_, *pool_, [host = std::string(host), port] {
    return BlockingHostnameResolver::resolve(host, port);
  });
}

}  // namespace tw
