/// @file
/// UDP on the real reactors: the datagram port (UDPPort) made by PosixReactorBase::listenUDP,
/// and the multicast port (MulticastPort) made by listenMulticast.
/// Twisted: twisted.internet.udp (Port, MulticastMixin, MulticastPort).
/// Tests: tests/integration/udp_test.cpp
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tw/datagram_protocol.hpp"
#include "tw/deferred.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_reactor_fd_set.hpp"
#include "tw/interfaces/i_reactor_multicast.hpp"
#include "tw/interfaces/i_udp_transport.hpp"

namespace tw {

class PosixReactorBase;

/// A UDP socket bound to a port, delivering its datagrams to a DatagramProtocol.
///
/// Address family: IPv6 if `interface` is an IPv6 literal ("::1", "::"), else IPv4 ("" binds
/// 0.0.0.0).  Another interface (a host name) throws tw::error::InvalidAddressError.
///
/// Lifecycle:
/// @verbatim
///   startListening(): bind --> protocol.makeConnection (startProtocol) --> reading
///   stopListening():  stop reading --(later step)--> protocol.doStop (stopProtocol, the
///                     socket still open) --> close --> the Deferreds fire
/// @endverbatim
/// The reactor's shutdown stops the port the same way, at once.  The reactor keeps the port
/// alive from startListening until it is stopped.
///
/// Reading: at each readiness, up to kMaxDatagramsPerRead datagrams or kMaxThroughput bytes,
/// each read into a buffer of maxPacketSize bytes; a longer datagram is truncated to
/// maxPacketSize bytes (the rest is lost, as with Twisted's recvfrom(maxPacketSize)).  An
/// exception thrown by datagramReceived is logged (error, "tw.udp") and the port keeps
/// serving.  ECONNREFUSED (an ICMP port unreachable for an earlier datagram) calls the
/// protocol's connectionRefused() on a connected port and is ignored otherwise; EAGAIN and
/// EINTR are ignored; another error is logged.
///
/// Writing: write() sends at once (sendto/send); nothing is buffered.
///
/// Differs from Twisted: a read error other than ECONNREFUSED/EAGAIN is logged and the port
/// keeps serving (Twisted lets it escape doRead, which drops the port); a write that meets
/// EAGAIN or ENOBUFS drops the datagram silently, as the network may (Twisted raises the
/// socket error); the received address of an IPv6 datagram keeps its flow info and scope id
/// (Twisted reduces it to host and port); at most 256 datagrams per readiness besides
/// Twisted's 256 KiB; a socket error reported by epoll/poll as a hang-up (EPOLLERR without
/// EPOLLIN, e.g. the ECONNREFUSED of a connected port) is read and reported as above, where
/// Twisted's epoll and poll reactors take it for a closed connection and drop the port.
class UDPPort : public IListeningPort,
                public IUDPTransport,
                public IReadDescriptor,
                public std::enable_shared_from_this<UDPPort> {
 public:
  /// Datagrams read at most per readiness.
  static constexpr int kMaxDatagramsPerRead = 256;
  /// Bytes read at most per readiness.  Twisted: udp.Port.maxThroughput.
  static constexpr std::size_t kMaxThroughput = 256 * 1024;

  /// For the reactor; startListening() opens the socket.
  /// @throws tw::error::InvalidAddressError if `interface` is neither "" nor an IP literal.
  UDPPort(PosixReactorBase& reactor, int port, std::shared_ptr<DatagramProtocol> protocol,
          std::string interface, std::size_t maxPacketSize);
  UDPPort(const UDPPort&) = delete;
  UDPPort& operator=(const UDPPort&) = delete;
  /// Closes the socket if still open (without calling anything).
  ~UDPPort() override;

  // --- IListeningPort ---------------------------------------------------------------------------
  /// Binds, calls the protocol's makeConnection (its startProtocol) and starts reading.  An
  /// exception thrown by startProtocol is logged; the port listens anyway.
  /// @throws tw::error::CannotListenError.
  void startListening() override;
  /// Stops reading now; in a later step calls the protocol's doStop() (stopProtocol), closes
  /// the socket and fires the Deferred.  On a port already stopped: an already-fired Deferred.
  Deferred<void> stopListening() override;
  /// The bound address (IPv4Address or IPv6Address of type "UDP") with the real port; after a
  /// connect(), the local address the kernel chose.
  AddressPtr getHost() const override;

  // --- IUDPTransport ----------------------------------------------------------------------------
  /// Sends `packet` to `addr`, an IP literal of the port's family ("<broadcast>" is
  /// 255.255.255.255 on IPv4), or to the connected peer when `addr` is empty.
  /// @throws tw::error::InvalidAddressError for a host name, an address of the other family,
  ///   or a port out of range; std::invalid_argument for no address on an unconnected port or
  ///   another address than the connected one; tw::error::MessageLengthError if the datagram
  ///   is too long (EMSGSIZE); std::logic_error if the port is closed; std::system_error for
  ///   another error (e.g. EACCES: broadcast without setBroadcastAllowed).
  /// A connected port whose peer refused an earlier datagram (ECONNREFUSED) calls the
  /// protocol's connectionRefused() instead; an unconnected one ignores ECONNREFUSED.
  void write(std::string_view packet,
             std::optional<std::pair<std::string, int>> addr = std::nullopt) override;
  /// Sends one datagram made of the pieces of `seq`, joined.  Twisted: Port.writeSequence.
  /// @throws as write().
  void writeSequence(std::span<const std::string_view> seq,
                     std::optional<std::pair<std::string, int>> addr = std::nullopt);
  /// Connects the socket to `host`:`port`: write() without address then goes there, only its
  /// datagrams are received, and its ICMP errors reach connectionRefused().
  /// @throws tw::error::InvalidAddressError if `host` is not an IP literal of the port's
  ///   family; std::runtime_error if already connected; std::system_error if connect fails.
  void connect(std::string_view host, int port) override;
  void setBroadcastAllowed(bool enabled) override;
  bool getBroadcastAllowed() const override;

  // --- IFileDescriptor (called by the reactor) --------------------------------------------------
  int fileno() const override { return fd_; }
  std::optional<Failure> doRead() override;
  /// The reactor dropped the port: for its shutdown, stops the port now.  For a pending socket
  /// error (the reactor's hang-up with nothing to read, i.e. ConnectionDone, as epoll and poll
  /// report an ICMP error), takes the error as a read error and watches the port again.
  void connectionLost(const Failure& reason) override;
  /// "<protocol's logPrefix> (UDP)".
  std::string logPrefix() const override;
  /// The listenUDP or listenMulticast call that made this port.
  std::source_location createdAt() const override { return createdAt_; }
  void setCreatedAt(const std::source_location& where) noexcept { createdAt_ = where; }

  /// The protocol.
  DatagramProtocol& protocol() const noexcept { return *protocol_; }
  /// The largest datagram delivered whole.
  std::size_t maxPacketSize() const noexcept { return buffer_.size(); }
  /// AF_INET or AF_INET6.
  int family() const noexcept { return family_; }
  /// The connected peer, if connect() was called.
  const std::optional<std::pair<std::string, int>>& connectedAddress() const noexcept {
    return connectedAddr_;
  }

 protected:
  /// Called on the new socket before bind; may set options.  Throws std::system_error to
  /// refuse (startListening then throws CannotListenError).
  virtual void configureSocket(int /*fd*/) {}

  PosixReactorBase& reactor_;

 private:
  void finishStop();
  void closeSocket();
  void callConnectionRefused();
  /// Reports a recvfrom error `err` (an errno).
  void readError(int err);

  int port_;
  std::shared_ptr<DatagramProtocol> protocol_;
  std::string interface_;
  int family_;
  int fd_ = -1;
  std::vector<char> buffer_;
  AddressPtr host_;
  std::optional<std::pair<std::string, int>> connectedAddr_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::vector<Deferred<void>> waiters_;
  std::source_location createdAt_;
};

/// A UDP port that can join IPv4 multicast groups; made by listenMulticast.
///
/// Differs from Twisted: IPv4 only, and listenMulticast on an IPv6 interface throws
/// tw::error::UnsupportedAddressFamily (Twisted makes an IPv6 socket whose multicast calls then
/// fail); setOutgoingInterface's Deferred fires with nothing (Twisted: 1); setTTL checks its
/// range.
class MulticastPort final : public UDPPort, public IMulticastTransport {
 public:
  /// For the reactor; startListening() opens the socket.
  /// @throws tw::error::UnsupportedAddressFamily if `interface` is an IPv6 literal.
  MulticastPort(PosixReactorBase& reactor, int port, std::shared_ptr<DatagramProtocol> protocol,
                std::string interface, std::size_t maxPacketSize, bool listenMultiple);

  std::string getOutgoingInterface() const override;
  Deferred<void> setOutgoingInterface(std::string_view addr) override;
  bool getLoopbackMode() const override;
  void setLoopbackMode(bool enabled) override;
  int getTTL() const override;
  void setTTL(int ttl) override;
  Deferred<void> joinGroup(std::string_view addr, std::string_view interface = "") override;
  Deferred<void> leaveGroup(std::string_view addr, std::string_view interface = "") override;

  /// Whether the socket was opened with SO_REUSEADDR/SO_REUSEPORT.
  bool listenMultiple() const noexcept { return listenMultiple_; }

 protected:
  void configureSocket(int fd) override;

 private:
  /// `name` as a dotted quad: itself if a literal, "0.0.0.0" if empty, else the reactor's
  /// resolve().
  Deferred<std::string> resolveIPv4(std::string_view name);
  Deferred<void> changeMembership(std::string_view addr, std::string_view interface, bool join);
  void setMembership(const std::string& group, const std::string& interface, bool join);

  bool listenMultiple_;
};

}  // namespace tw
