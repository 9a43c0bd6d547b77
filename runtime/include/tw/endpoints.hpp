/// @file
/// Endpoints: TCP (IPv4, IPv6), UNIX and host-name client/server endpoints, connectProtocol,
/// the host name resolvers HostnameEndpoint uses, and the string grammar of serverFromString /
/// clientFromString ("tcp:8080:interface=127.0.0.1", "unix:/run/app.sock", ...).
/// Twisted: twisted.internet.endpoints.  Tests: tests/runtime/endpoints_test.cpp,
/// tests/runtime/endpoints_property_test.cpp, tests/integration/endpoints_test.cpp
///
/// A client endpoint's connect(factory) fires with the protocol the factory built once that
/// protocol's connectionMade has run:
/// @code
/// tw::TCP4ClientEndpoint endpoint(reactor, "127.0.0.1", 8080);
/// endpoint.connect(factory).addCallback([](std::shared_ptr<tw::IProtocol> p) { ... });
/// auto server = tw::serverFromString(reactor, "tcp:8080:interface=127.0.0.1");
/// server->listen(serverFactory);
/// @endcode
///
/// Ownership: an endpoint only refers to its reactor (which must outlive it and every attempt
/// it starts); an attempt in progress keeps what it needs alive by itself, so an endpoint may be
/// destroyed while its connect() is pending.
///
/// Thread safety: endpoints, and the Deferreds they return, belong to the reactor's thread (the
/// string parser registry alone is guarded by a mutex).
#pragma once

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/interfaces/i_hostname_resolver.hpp"
#include "tw/interfaces/i_reactor_core.hpp"
#include "tw/interfaces/i_reactor_tcp.hpp"
#include "tw/interfaces/i_reactor_threads.hpp"
#include "tw/interfaces/i_reactor_time.hpp"
#include "tw/interfaces/i_reactor_unix.hpp"
#include "tw/interfaces/i_stream_endpoint.hpp"

namespace tw {

class ThreadPool;

// ---------------------------------------------------------------------------------------------
// Server endpoints.

/// Listens on a TCP port of an IPv4 interface.  Twisted: endpoints.TCP4ServerEndpoint.
class TCP4ServerEndpoint : public IStreamServerEndpoint {
 public:
  /// @param port       the port (0: any free port; see the port's getHost()).
  /// @param backlog    the size of the listen queue.
  /// @param interface  the local address to bind ("" for all IPv4 interfaces).
  TCP4ServerEndpoint(IReactorTCP& reactor, int port, int backlog = 50, std::string interface = "")
      : reactor_(&reactor), port_(port), backlog_(backlog), interface_(std::move(interface)) {}

  /// Calls the reactor's listenTCP; fires with the port, or fails with what listenTCP threw
  /// (tw::error::CannotListenError).  Never throws.
  Deferred<std::shared_ptr<IListeningPort>> listen(
      std::shared_ptr<IProtocolFactory> factory) override;

  int port() const noexcept { return port_; }
  int backlog() const noexcept { return backlog_; }
  const std::string& interface() const noexcept { return interface_; }

 private:
  IReactorTCP* reactor_;
  int port_;
  int backlog_;
  std::string interface_;
};

/// Listens on a TCP port of an IPv6 interface ("::", all of them, by default).
/// Twisted: endpoints.TCP6ServerEndpoint.
class TCP6ServerEndpoint : public TCP4ServerEndpoint {
 public:
  TCP6ServerEndpoint(IReactorTCP& reactor, int port, int backlog = 50, std::string interface = "::")
      : TCP4ServerEndpoint(reactor, port, backlog, std::move(interface)) {}
};

/// Listens on a UNIX stream socket.  Twisted: endpoints.UNIXServerEndpoint.
class UNIXServerEndpoint : public IStreamServerEndpoint {
 public:
  /// @param address  the socket's path ('@' or '\0' first: Linux's abstract namespace).
  /// @param mode     the permissions of the socket file.
  /// @param wantPID  guard the socket with a "<address>.lock" file holding this process's pid.
  UNIXServerEndpoint(IReactorUNIX& reactor, std::string address, int backlog = 50, int mode = 0666,
                     bool wantPID = false)
      : reactor_(&reactor),
        address_(std::move(address)),
        backlog_(backlog),
        mode_(mode),
        wantPID_(wantPID) {}

  /// Calls the reactor's listenUNIX; fires with the port or fails with what it threw.
  Deferred<std::shared_ptr<IListeningPort>> listen(
      std::shared_ptr<IProtocolFactory> factory) override;

  const std::string& address() const noexcept { return address_; }
  int backlog() const noexcept { return backlog_; }
  int mode() const noexcept { return mode_; }
  bool wantPID() const noexcept { return wantPID_; }

 private:
  IReactorUNIX* reactor_;
  std::string address_;
  int backlog_;
  int mode_;
  bool wantPID_;
};

// ---------------------------------------------------------------------------------------------
// Client endpoints.

/// Connects over TCP to a host (an IPv4 literal or a name the reactor's connectTCP resolves)
/// and port.  Twisted: endpoints.TCP4ClientEndpoint.
///
/// connect(factory) wraps `factory` (Twisted's _WrappingFactory): the Deferred fires with the
/// protocol `factory` built, after its connectionMade; fails with the reason the reactor gives
/// clientConnectionFailed (tw::error::ConnectError and subclasses), with tw::error::NoProtocol if
/// the factory builds nothing, or with what buildProtocol or connectTCP threw; cancelling it
/// before that stops the attempt (IConnector::stopConnecting) and fails it with
/// tw::error::ConnectingCancelledError naming the destination.
///
/// The protocol the factory built is connected to the real transport (it gets the transport's
/// own interfaces, e.g. ITCPTransport, and registers producers on it directly); the wrapper the
/// reactor sees forwards dataReceived, connectionLost and, only when the protocol is an
/// IHalfCloseableProtocol, readConnectionLost/writeConnectionLost (otherwise the transport
/// closes on the peer's half-close, as it would for the bare protocol).
///
/// As in Twisted, the wrapped factory gets doStart/doStop but not the client callbacks
/// (startedConnecting, clientConnectionFailed, clientConnectionLost).  tw::ProtocolWrapper is
/// not used here: it stands between the protocol and the transport (it *is* the protocol's
/// transport), which an endpoint must not do.
///
/// Differs from Twisted: if the protocol's makeConnection/connectionMade throws, the Deferred
/// fails with that exception (Twisted's never fires); if the connection completes after the
/// Deferred was cancelled, it is closed at once (Twisted raises AlreadyCalledError in
/// connectionMade).
class TCP4ClientEndpoint : public IStreamClientEndpoint {
 public:
  /// @param timeout      seconds before an attempt fails with tw::error::TimeoutError.
  /// @param bindAddress  the local (host, port) to bind the socket to.
  TCP4ClientEndpoint(IReactorTCP& reactor, std::string host, int port,
                     Seconds timeout = std::chrono::seconds(30),
                     std::optional<BindAddress> bindAddress = std::nullopt)
      : reactor_(&reactor),
        host_(std::move(host)),
        port_(port),
        timeout_(timeout),
        bindAddress_(std::move(bindAddress)) {}

  Deferred<std::shared_ptr<IProtocol>> connect(std::shared_ptr<IProtocolFactory> factory) override;

  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }
  Seconds timeout() const noexcept { return timeout_; }
  const std::optional<BindAddress>& bindAddress() const noexcept { return bindAddress_; }

 protected:
  IReactorTCP& reactor() const noexcept { return *reactor_; }

 private:
  IReactorTCP* reactor_;
  std::string host_;
  int port_;
  Seconds timeout_;
  std::optional<BindAddress> bindAddress_;
};

/// Connects over TCP to an IPv6 host.  An IPv6 literal ("::1") is connected to at once; any
/// other name is first resolved with `resolver` (when null: the reactor's nameResolver() if it is
/// an IReactorPluggableNameResolver, as the real reactors are, else BlockingHostnameResolver) and
/// the first IPv6 address is used (none: tw::error::DNSLookupError).  Cancelling while resolving
/// cancels the resolution (tw::CancelledError, unless the resolver's canceller says otherwise).
/// Twisted: endpoints.TCP6ClientEndpoint.
///
/// Differs from Twisted: a resolver may be given (Twisted always uses getaddrinfo in a thread
/// of the reactor's pool, as the real reactors' nameResolver() does).
class TCP6ClientEndpoint : public TCP4ClientEndpoint {
 public:
  TCP6ClientEndpoint(IReactorTCP& reactor, std::string host, int port,
                     Seconds timeout = std::chrono::seconds(30),
                     std::optional<BindAddress> bindAddress = std::nullopt,
                     std::shared_ptr<IHostnameResolver> resolver = nullptr)
      : TCP4ClientEndpoint(reactor, std::move(host), port, timeout, std::move(bindAddress)),
        resolver_(std::move(resolver)) {}

  Deferred<std::shared_ptr<IProtocol>> connect(std::shared_ptr<IProtocolFactory> factory) override;

 private:
  std::shared_ptr<IHostnameResolver> resolver_;
};

/// Connects to a UNIX stream socket; the Deferred behaves as TCP4ClientEndpoint's.
/// Twisted: endpoints.UNIXClientEndpoint.
class UNIXClientEndpoint : public IStreamClientEndpoint {
 public:
  /// @param checkPID  fail at once if the socket's lock file names a process that is gone.
  UNIXClientEndpoint(IReactorUNIX& reactor, std::string path,
                     Seconds timeout = std::chrono::seconds(30), bool checkPID = false)
      : reactor_(&reactor), path_(std::move(path)), timeout_(timeout), checkPID_(checkPID) {}

  Deferred<std::shared_ptr<IProtocol>> connect(std::shared_ptr<IProtocolFactory> factory) override;

  const std::string& path() const noexcept { return path_; }
  Seconds timeout() const noexcept { return timeout_; }
  bool checkPID() const noexcept { return checkPID_; }

 private:
  IReactorUNIX* reactor_;
  std::string path_;
  Seconds timeout_;
  bool checkPID_;
};

/// Connects `protocol` itself through `endpoint` (with a one-shot factory that returns it) and
/// fires with it once connected.  Twisted: endpoints.connectProtocol.
Deferred<std::shared_ptr<IProtocol>> connectProtocol(IStreamClientEndpoint& endpoint,
                                                     std::shared_ptr<IProtocol> protocol);

// ---------------------------------------------------------------------------------------------
// Host names.

/// Resolves with getaddrinfo(AF_UNSPEC, SOCK_STREAM) on the calling thread: the Deferred has
/// fired when resolveHostName returns.  It blocks the reactor while the name server answers;
/// use it for literals, /etc/hosts names and tools, ThreadedHostnameResolver otherwise.
/// Twisted: the getaddrinfo inside twisted.internet._resolver.GAIResolver.
class BlockingHostnameResolver final : public IHostnameResolver {
 public:
  Deferred<std::vector<AddressPtr>> resolveHostName(std::string_view host, int port) override;

  /// The lookup itself, for any thread.
  /// @throws tw::error::DNSLookupError if getaddrinfo fails.
  static std::vector<AddressPtr> resolve(const std::string& host, int port);
};

/// Resolves with getaddrinfo on a thread of `pool` and fires on the reactor's thread
/// (deferToThreadPool), so the reactor never waits for a name server.
/// Twisted: twisted.internet._resolver.GAIResolver.
///
/// Cancelling the Deferred fails it with tw::CancelledError at once; the lookup still runs to
/// its end on its thread and its answer is dropped.
class ThreadedHostnameResolver final : public IHostnameResolver {
 public:
  /// The reactor and the pool must outlive every lookup.
  ThreadedHostnameResolver(IReactorFromThreads& reactor, ThreadPool& pool)
      : reactor_(&reactor), pool_(&pool) {}

  Deferred<std::vector<AddressPtr>> resolveHostName(std::string_view host, int port) override;

 private:
  IReactorFromThreads* reactor_;
  ThreadPool* pool_;
};

/// Connects to a host name over IPv4 or IPv6, trying its addresses the "happy eyeballs" way.
/// Twisted: endpoints.HostnameEndpoint.
///
/// connect(factory):
/// 1. resolves the name with the resolver (every address, IPv4 and IPv6; an IP literal
///    resolves to itself); a failed lookup fails with tw::error::DNSLookupError("Couldn't find
///    the hostname '<host>'"), an empty answer with DNSLookupError("no results for hostname
///    lookup: <host>");
/// 2. starts a connection attempt (a TCP4/TCP6ClientEndpoint) to the first address at once,
///    and to each next one `attemptDelay` later, in the resolved order, until the addresses run
///    out; attempts run side by side;
/// 3. the first attempt that connects wins: the Deferred fires with its protocol, the pending
///    attempts are cancelled and no new one starts;
/// 4. when every attempt failed, the Deferred fails with the last failure, as soon as no
///    attempt is pending and the stagger has noticed that no address is left (which it does at
///    its next tick, a multiple of `attemptDelay`, as Twisted's LoopingCall does);
/// 5. cancelling the Deferred cancels the lookup or every pending attempt and fails with
///    tw::error::ConnectingCancelledError naming "<host>:<port>".
///
/// A host that is not a usable name (empty, or with a NUL, a space or a control character)
/// fails connect() at once with std::invalid_argument ("invalid hostname: ...").
///
/// Differs from Twisted: a resolver may be given to the constructor (Twisted always takes the
/// reactor's nameResolver); cancelling during the lookup fails with ConnectingCancelledError
/// (Twisted: CancelledError, and the lookup goes on); IDNA encoding of non-ASCII names is not
/// done (the name goes to the resolver as given); the staggering uses callLater rather than a
/// LoopingCall (same times).
class HostnameEndpoint : public IStreamClientEndpoint {
 public:
  /// The default delay between two connection attempts.  Twisted:
  /// HostnameEndpoint._DEFAULT_ATTEMPT_DELAY.
  static constexpr Seconds kDefaultAttemptDelay = Seconds(0.3);

  /// @param resolver  the resolver; when null, the reactor's nameResolver() if it is an
  ///                  IReactorPluggableNameResolver (the real reactors: getaddrinfo on their
  ///                  pool), else BlockingHostnameResolver.
  /// @param timeout   for each connection attempt.
  HostnameEndpoint(IReactorTCP& tcp, IReactorTime& clock,
                   std::shared_ptr<IHostnameResolver> resolver, std::string host, int port,
                   Seconds timeout = std::chrono::seconds(30),
                   std::optional<BindAddress> bindAddress = std::nullopt,
                   Seconds attemptDelay = kDefaultAttemptDelay);

  /// For a reactor that is both IReactorTCP and IReactorTime (the real reactors,
  /// MemoryReactorClock).
  template <class Reactor>
  requires std::derived_from<Reactor, IReactorTCP> && std::derived_from<Reactor, IReactorTime>
  HostnameEndpoint(Reactor& reactor, std::shared_ptr<IHostnameResolver> resolver, std::string host,
                   int port, Seconds timeout = std::chrono::seconds(30),
                   std::optional<BindAddress> bindAddress = std::nullopt,
                   Seconds attemptDelay = kDefaultAttemptDelay)
      : HostnameEndpoint(static_cast<IReactorTCP&>(reactor), static_cast<IReactorTime&>(reactor),
                         std::move(resolver), std::move(host), port, timeout,
                         std::move(bindAddress), attemptDelay) {}

  Deferred<std::shared_ptr<IProtocol>> connect(std::shared_ptr<IProtocolFactory> factory) override;

  /// "<HostnameEndpoint example.com:80>" ("[::1]:80" for an IPv6 literal).
  std::string repr() const;

  const std::string& host() const noexcept { return host_; }
  int port() const noexcept { return port_; }
  Seconds attemptDelay() const noexcept { return attemptDelay_; }

 private:
  IReactorTCP* tcp_;
  IReactorTime* clock_;
  std::shared_ptr<IHostnameResolver> resolver_;
  std::string host_;
  int port_;
  Seconds timeout_;
  std::optional<BindAddress> bindAddress_;
  Seconds attemptDelay_;
};

// ---------------------------------------------------------------------------------------------
// Strings.

/// A description split into its arguments: the positional ones in order, and the keyword ones.
struct EndpointDescription {
  std::vector<std::string> args;
  std::map<std::string, std::string, std::less<>> kwargs;
  friend bool operator==(const EndpointDescription&, const EndpointDescription&) = default;
};

/// Splits an endpoint description into arguments.  Twisted: endpoints._parse.
///
/// The grammar: arguments are separated by ':'; an argument containing '=' is a keyword one
/// (`name=value`; only the first '=' counts, so "a=b=c" is a → "b=c"); the others are
/// positional.  A backslash takes the next character literally ("\:" is a colon inside an
/// argument, "\\" a backslash, "\=" an '=' that does not make a keyword).  A repeated keyword
/// keeps its last value.  `parseEndpointDescription("a:b:d=1:c")` is `{{"a","b","c"}, {d:"1"}}`.
///
/// Differs from Twisted: a trailing lone backslash is kept as a backslash (Twisted raises
/// StopIteration from inside its tokenizer).
EndpointDescription parseEndpointDescription(std::string_view description);

/// Escapes '\' and ':' in `argument` so that it passes through parseEndpointDescription as one
/// argument, unchanged.  Twisted: endpoints.quoteStringArgument.
///
/// Differs from Twisted: '=' is escaped too, so that a quoted positional argument containing
/// '=' stays positional (Twisted's leaves it, which turns it into a keyword).
std::string quoteStringArgument(std::string_view argument);

/// Makes a server endpoint from the arguments after the prefix.  Throws std::invalid_argument
/// for bad arguments.  Twisted: IStreamServerEndpointStringParser.parseStreamServer.
using ServerEndpointParser = std::function<std::shared_ptr<IStreamServerEndpoint>(
    IReactorCore& reactor, const EndpointDescription& arguments)>;

/// Makes a client endpoint from the arguments after the prefix.  Throws std::invalid_argument
/// for bad arguments.  Twisted: IStreamClientEndpointStringParserWithReactor.parseStreamClient.
using ClientEndpointParser = std::function<std::shared_ptr<IStreamClientEndpoint>(
    IReactorCore& reactor, const EndpointDescription& arguments)>;

/// Adds a prefix (matched case-insensitively) to serverFromString: "tls", "systemd", ... .
/// The built-in prefixes are "tcp", "tcp6" and "unix".
/// Thread safety: the registry is guarded by a mutex; register before using the prefix.
/// Twisted: an IStreamServerEndpointStringParser plugin.
/// @throws std::invalid_argument if the prefix is empty, contains ':' or is registered already.
void registerServerEndpointParser(std::string_view prefix, ServerEndpointParser parser);
/// Removes a prefix added by registerServerEndpointParser (or a built-in one); false if none.
bool unregisterServerEndpointParser(std::string_view prefix);
/// Adds a prefix to clientFromString.  Twisted: an
/// IStreamClientEndpointStringParserWithReactor plugin.
/// @throws std::invalid_argument as registerServerEndpointParser.
void registerClientEndpointParser(std::string_view prefix, ClientEndpointParser parser);
/// Removes a prefix added by registerClientEndpointParser (or a built-in one); false if none.
bool unregisterClientEndpointParser(std::string_view prefix);

/// Makes the server endpoint a description names.  Twisted: endpoints.serverFromString.
///
/// - `tcp:PORT[:interface=IP][:backlog=N]` → TCP4ServerEndpoint (port 0..65535, backlog 50);
/// - `tcp6:PORT[:interface=IP6][:backlog=N]` → TCP6ServerEndpoint (interface "::");
/// - `unix:PATH[:mode=OCTAL][:backlog=N][:lockfile=0|1]` (or `address=PATH`) →
///   UNIXServerEndpoint (mode 666, lockfile 1: wantPID);
/// - any prefix registered with registerServerEndpointParser.
/// Every parameter may be given by position (in the order above) or as a keyword.
///
/// `reactor` must also be an IReactorTCP for tcp/tcp6 and an IReactorUNIX for unix (the real
/// reactors and MemoryReactor are); it is only referred to by the endpoint.
/// @throws std::invalid_argument for an unknown prefix ("Unknown endpoint type: 'x'"), a
///         missing, repeated or unknown parameter, a value that is not a number where one is
///         needed, or a reactor without the capability the prefix needs.
///
/// Differs from Twisted: "ssl" is not built in (a TLS module registers it); a port out of range
/// is rejected here (Twisted fails later in listen); errors are std::invalid_argument for what
/// Twisted reports as ValueError or TypeError.
std::shared_ptr<IStreamServerEndpoint> serverFromString(IReactorCore& reactor,
                                                        std::string_view description);

/// Makes the client endpoint a description names.  Twisted: endpoints.clientFromString.
///
/// - `tcp:HOST:PORT` (or `host=`, `port=`, mixed) `[:timeout=SECONDS][:bindAddress=IP[,PORT]]`
///   → TCP4ClientEndpoint (timeout 30);
/// - `tcp6:...` the same → TCP6ClientEndpoint;
/// - `unix:PATH` (or `path=`) `[:timeout=SECONDS][:lockfile=0|1]` (or `checkPID=`) →
///   UNIXClientEndpoint;
/// - any prefix registered with registerClientEndpointParser.
/// The reactor and the errors are as for serverFromString.
///
/// Differs from Twisted: timeouts may have a fraction ("2.5"); bindAddress may name a port
/// ("127.0.0.1,4000"); "tcp6" exists for clients; "checkPID" is accepted as well as "lockfile".
std::shared_ptr<IStreamClientEndpoint> clientFromString(IReactorCore& reactor,
                                                        std::string_view description);

}  // namespace tw
