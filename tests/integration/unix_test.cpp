/// @file
/// Tests of UNIX stream sockets on the real reactors (listenUNIX, connectUNIX, UNIXConnection,
/// FilesystemLock), each run on epoll, poll and select with sockets in a fresh temporary
/// directory; and the transport contract suite held against a real UNIX connection.
/// Twisted: twisted/test/test_unix.py, twisted/internet/test/test_unix.py,
/// twisted/test/test_lockfile.py.
#include "tw/unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../fakes/transport_contract.hpp"
#include "reactors.hpp"
#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/factory.hpp"
#include "tw/posix_reactor.hpp"
#include "tw/protocol.hpp"

namespace {

using namespace std::chrono_literals;
using tw::testing::ExpectedErrors;
using tw::testing::ReactorNames;
using tw::testing::Reactors;

/// A fresh directory under /tmp, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/tw-unix-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of `name` inside the directory.
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

/// The target of the symlink `path` ("" if none).
std::string linkTarget(const std::string& path) {
  char buf[64] = {};
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

/// The pid of a process that has exited (and been reaped).
pid_t deadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

/// Leaves a socket file at `path` that nobody listens on (bound, then closed).
void makeStaleSocketFile(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
  ::close(fd);
}

/// A protocol whose callbacks are set by the test.
class Scripted : public tw::Protocol {
 public:
  void connectionMade() override {
    if (onMade) onMade(*this);
  }
  void dataReceived(std::string_view data) override {
    received.append(data);
    if (onData) onData(*this, data);
  }
  void connectionLost(const tw::Failure& reason) override {
    lost = reason;
    if (onLost) onLost(*this, reason);
    tw::Protocol::connectionLost(reason);
  }
  tw::ITCPTransport& stream() { return dynamic_cast<tw::ITCPTransport&>(*transport()); }

  std::function<void(Scripted&)> onMade;
  std::function<void(Scripted&, std::string_view)> onData;
  std::function<void(Scripted&, const tw::Failure&)> onLost;
  std::string received;
  std::optional<tw::Failure> lost;
};

/// A half-closeable Scripted protocol.
class HalfCloseable : public Scripted, public tw::IHalfCloseableProtocol {
 public:
  void readConnectionLost() override {
    readLost = true;
    if (onReadLost) onReadLost(*this);
  }
  void writeConnectionLost() override { writeLost = true; }
  std::function<void(HalfCloseable&)> onReadLost;
  bool readLost = false;
  bool writeLost = false;
};

template <class P = Scripted>
class ServerFactory : public tw::Factory {
 public:
  explicit ServerFactory(std::function<void(P&)> setup = {}) : setup_(std::move(setup)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    auto p = std::make_shared<P>();
    if (setup_) setup_(*p);
    built.push_back(p);
    return p;
  }
  void stopFactory() override { ++stops; }
  std::vector<std::shared_ptr<P>> built;
  int stops = 0;

 private:
  std::function<void(P&)> setup_;
};

template <class P = Scripted>
class ClientFactory : public tw::ClientFactory {
 public:
  explicit ClientFactory(std::function<void(P&)> setup = {}) : setup_(std::move(setup)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& /*addr*/) override {
    auto p = std::make_shared<P>();
    if (setup_) setup_(*p);
    built.push_back(p);
    return p;
  }
  void clientConnectionFailed(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    failed = reason;
    if (onFailed) onFailed(reason);
  }
  void clientConnectionLost(tw::IConnector& /*c*/, const tw::Failure& reason) override {
    lost = reason;
    if (onLost) onLost(reason);
  }
  void stopFactory() override { ++stops; }
  std::vector<std::shared_ptr<P>> built;
  int stops = 0;
  std::optional<tw::Failure> failed;
  std::optional<tw::Failure> lost;
  std::function<void(const tw::Failure&)> onFailed;
  std::function<void(const tw::Failure&)> onLost;

 private:
  std::function<void(P&)> setup_;
};

void echo(Scripted& p) {
  p.onData = [](Scripted& self, std::string_view data) { self.transport()->write(data); };
}

std::optional<std::string> nameOf(const tw::AddressPtr& a) {
  return dynamic_cast<const tw::UNIXAddress&>(*a).name();
}

template <class R>
class UNIXTests : public tw::testing::RealReactorTest<R> {
 protected:
  /// Connects a client that sends "hello" and closes once it has it back, to `address`
  /// served by an echo server; runs until the client's connection ends, then crashes the
  /// reactor (not stop(): the ports stay open and the reactor can run again).
  void echoThrough(const std::string& address, bool checkPID = false) {
    auto& r = this->reactor;
    auto client = std::make_shared<ClientFactory<>>([](Scripted& p) {
      p.onMade = [](Scripted& self) { self.transport()->write("hello"); };
      p.onData = [](Scripted& self, std::string_view) {
        if (self.received == "hello") self.transport()->loseConnection();
      };
    });
    client->onLost = [&](const tw::Failure&) { r.crash(); };
    client->onFailed = [&](const tw::Failure&) { r.crash(); };
    r.connectUNIX(address, client, 30s, checkPID);
    this->runBounded();
    ASSERT_FALSE(client->failed.has_value()) << client->failed->getErrorMessage();
    ASSERT_EQ(client->built.size(), 1u);
    EXPECT_EQ(client->built[0]->received, "hello");
  }

  /// Runs connectUNIX(address) to its failure and returns it.
  tw::Failure connectFailure(const std::string& address, bool checkPID = false) {
    auto& r = this->reactor;
    auto client = std::make_shared<ClientFactory<>>();
    client->onFailed = [&](const tw::Failure&) { r.crash(); };
    client->onLost = [&](const tw::Failure&) { r.crash(); };
    r.connectUNIX(address, client, 30s, checkPID);
    this->runBounded();
    EXPECT_TRUE(client->built.empty());
    EXPECT_EQ(client->stops, 1);
    if (!client->failed) throw std::runtime_error("the connection did not fail");
    return *client->failed;
  }

  TempDir dir;
};

TYPED_TEST_SUITE(UNIXTests, Reactors, ReactorNames);

// --- connecting ----------------------------------------------------------------------------------

// An echo round trip through a socket file; a clean close is ConnectionDone on both sides and
// clientConnectionLost for the client factory; the addresses are UNIXAddress as Twisted gives.
TYPED_TEST(UNIXTests, echoRoundTrip) {
  auto& r = this->reactor;
  const std::string path = this->dir / "echo.sock";
  tw::AddressPtr serverHost, serverPeer, clientHost, clientPeer;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    echo(p);
    p.onMade = [&](Scripted& self) {
      serverHost = self.transport()->getHost();
      serverPeer = self.transport()->getPeer();
    };
  });
  auto port = r.listenUNIX(path, server);
  EXPECT_TRUE(port->getHost()->equals(tw::UNIXAddress(path)));
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      clientHost = self.transport()->getHost();
      clientPeer = self.transport()->getPeer();
      self.transport()->writeSequence({"hel", "", "lo"});
    };
    p.onData = [](Scripted& self, std::string_view) {
      if (self.received == "hello") self.transport()->loseConnection();
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  auto connector = r.connectUNIX(path, client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_EQ(server->built.size(), 1u);
  EXPECT_EQ(client->built[0]->received, "hello");
  EXPECT_EQ(server->built[0]->received, "hello");
  ASSERT_TRUE(client->built[0]->lost.has_value());
  EXPECT_TRUE(client->built[0]->lost->template check<tw::error::ConnectionDone>());
  ASSERT_TRUE(client->lost.has_value());
  EXPECT_EQ(client->stops, 1);
  EXPECT_TRUE(connector->getDestination()->equals(tw::UNIXAddress(path)));
  ASSERT_TRUE(serverHost && serverPeer && clientHost && clientPeer);
  EXPECT_EQ(nameOf(serverHost), path);
  EXPECT_EQ(nameOf(serverPeer), std::nullopt);
  EXPECT_EQ(nameOf(clientPeer), path);
  EXPECT_EQ(nameOf(clientHost), std::nullopt);
}

// Many bytes both ways: what TCP's buffering does applies (the same code).
TYPED_TEST(UNIXTests, largeWriteArrivesWhole) {
  auto& r = this->reactor;
  const std::string path = this->dir / "big.sock";
  const std::string big(3 * 1024 * 1024 + 17, 'u');
  auto server = std::make_shared<ServerFactory<>>(echo);
  auto port = r.listenUNIX(path, server);
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) { self.transport()->write(big); };
    p.onData = [&](Scripted& self, std::string_view) {
      if (self.received.size() == big.size()) self.transport()->loseConnection();
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectUNIX(path, client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  EXPECT_TRUE(client->built[0]->received == big);
}

// A name starting with '@' is in the abstract namespace: no file appears, a client reaches it
// by the same name or by its '\0' form, and the addresses read "\0name".
TYPED_TEST(UNIXTests, abstractNamespace) {
  auto& r = this->reactor;
  const std::string name =
      "tw-unix-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand());
  auto server = std::make_shared<ServerFactory<>>(echo);
  auto port = r.listenUNIX("@" + name, server, 50, 0600, /*wantPID=*/true);
  EXPECT_EQ(nameOf(port->getHost()), std::string(1, '\0') + name);
  EXPECT_FALSE(exists("@" + name));
  EXPECT_FALSE(exists("@" + name + ".lock"));
  this->echoThrough("@" + name);
  this->echoThrough(std::string(1, '\0') + name);
  EXPECT_EQ(server->built.size(), 2u);
}

// The socket file gets the mode asked for.
TYPED_TEST(UNIXTests, modeBitsOfTheSocketFile) {
  auto& r = this->reactor;
  const std::string a = this->dir / "a.sock";
  const std::string b = this->dir / "b.sock";
  auto pa = r.listenUNIX(a, std::make_shared<ServerFactory<>>(), 50, 0600);
  auto pb = r.listenUNIX(b, std::make_shared<ServerFactory<>>(), 50, 0640);
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(b.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// stopListening removes the socket file and the lock file, stops the factory, fires its
// Deferred; no new connection is accepted afterwards.
TYPED_TEST(UNIXTests, stopListeningRemovesTheFiles) {
  auto& r = this->reactor;
  const std::string path = this->dir / "stop.sock";
  auto server = std::make_shared<ServerFactory<>>();
  auto port = r.listenUNIX(path, server, 50, 0666, /*wantPID=*/true);
  EXPECT_TRUE(exists(path));
  EXPECT_EQ(linkTarget(path + ".lock"), std::to_string(::getpid()));
  bool stopped = false;
  port->stopListening().addCallback([&] {
    stopped = true;
    r.stop();
  });
  EXPECT_FALSE(exists(path));
  EXPECT_FALSE(exists(path + ".lock"));
  this->runBounded();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(server->stops, 1);
}

// The reactor's shutdown closes the port the same way: the files go.
TYPED_TEST(UNIXTests, shutdownRemovesTheFiles) {
  auto& r = this->reactor;
  const std::string path = this->dir / "shutdown.sock";
  auto port = r.listenUNIX(path, std::make_shared<ServerFactory<>>(), 50, 0666, true);
  r.callLater(0s, [&] { r.stop(); });
  this->runBounded();
  EXPECT_FALSE(exists(path));
  EXPECT_FALSE(exists(path + ".lock"));
}

// A lock held by a live process (here, this one) refuses a second listener with
// CannotListenError, and leaves the first one's files alone.
TYPED_TEST(UNIXTests, liveLockRefusesToListen) {
  auto& r = this->reactor;
  const std::string path = this->dir / "locked.sock";
  auto first = r.listenUNIX(path, std::make_shared<ServerFactory<>>(echo), 50, 0666, true);
  try {
    r.listenUNIX(path, std::make_shared<ServerFactory<>>(), 50, 0666, true);
    ADD_FAILURE() << "a second listener took a live lock";
  } catch (const tw::error::CannotListenError& e) {
    EXPECT_EQ(e.port(), path);
  }
  EXPECT_TRUE(exists(path));
  EXPECT_EQ(linkTarget(path + ".lock"), std::to_string(::getpid()));
  this->echoThrough(path);
  // Once the first stops listening, the lock is free again.
  first->stopListening();
  auto again = r.listenUNIX(path, std::make_shared<ServerFactory<>>(echo), 50, 0666, true);
  EXPECT_EQ(linkTarget(path + ".lock"), std::to_string(::getpid()));
  this->echoThrough(path);
}

// A stale lock (its pid has exited) is taken over, and the socket file it guarded, left
// behind, is replaced.
TYPED_TEST(UNIXTests, staleLockIsTakenOver) {
  auto& r = this->reactor;
  const std::string path = this->dir / "stale.sock";
  makeStaleSocketFile(path);
  ASSERT_EQ(::symlink(std::to_string(deadPid()).c_str(), (path + ".lock").c_str()), 0);
  auto server = std::make_shared<ServerFactory<>>(echo);
  auto port = r.listenUNIX(path, server, 50, 0666, true);
  EXPECT_EQ(linkTarget(path + ".lock"), std::to_string(::getpid()));
  this->echoThrough(path);
  EXPECT_EQ(server->built.size(), 1u);
}

// Without wantPID, a file left at the path is not removed: bind fails (EADDRINUSE), as in
// Twisted.
TYPED_TEST(UNIXTests, leftoverFileWithoutWantPIDCannotListen) {
  auto& r = this->reactor;
  const std::string path = this->dir / "leftover.sock";
  makeStaleSocketFile(path);
  try {
    r.listenUNIX(path, std::make_shared<ServerFactory<>>());
    ADD_FAILURE() << "listenUNIX over an existing file succeeded";
  } catch (const tw::error::CannotListenError& e) {
    EXPECT_EQ(e.socketError(), std::make_error_code(std::errc::address_in_use));
  }
  EXPECT_TRUE(exists(path));
}

// --- failing to connect
// ---------------------------------------------------------------------------

// No file: ConnectError carrying ENOENT (Twisted's getConnectError maps only ECONNREFUSED to
// ConnectionRefusedError).
TYPED_TEST(UNIXTests, connectToMissingFile) {
  const tw::Failure f = this->connectFailure(this->dir / "nothing.sock");
  ASSERT_TRUE(f.check<tw::error::ConnectError>());
  EXPECT_FALSE(f.check<tw::error::ConnectionRefusedError>());
  EXPECT_EQ(f.value<tw::error::ConnectError>()->osError(),
            std::make_error_code(std::errc::no_such_file_or_directory));
}

// A socket file nobody listens on: ConnectionRefusedError.
TYPED_TEST(UNIXTests, connectToFileWithoutListener) {
  const std::string path = this->dir / "deaf.sock";
  makeStaleSocketFile(path);
  const tw::Failure f = this->connectFailure(path);
  EXPECT_TRUE(f.check<tw::error::ConnectionRefusedError>()) << f.getErrorMessage();
}

// checkPID with a lock naming a dead process fails at once with BadFileError, though the
// socket is listening; with a live lock the connection is made.
TYPED_TEST(UNIXTests, checkPIDRefusesADeadLock) {
  auto& r = this->reactor;
  const std::string path = this->dir / "pid.sock";
  auto server = std::make_shared<ServerFactory<>>(echo);
  auto port = r.listenUNIX(path, server);
  ASSERT_EQ(::symlink(std::to_string(deadPid()).c_str(), (path + ".lock").c_str()), 0);
  const tw::Failure f = this->connectFailure(path, /*checkPID=*/true);
  EXPECT_TRUE(f.check<tw::error::BadFileError>()) << f.getErrorMessage();
  EXPECT_TRUE(server->built.empty());
  // isLocked broke nothing it should not: the stale link is still the dead one's or gone,
  // never ours.
  EXPECT_NE(linkTarget(path + ".lock"), std::to_string(::getpid()));
}

TYPED_TEST(UNIXTests, checkPIDConnectsToALiveLock) {
  auto& r = this->reactor;
  const std::string path = this->dir / "live.sock";
  auto server = std::make_shared<ServerFactory<>>(echo);
  auto port = r.listenUNIX(path, server, 50, 0666, true);
  this->echoThrough(path, /*checkPID=*/true);
  EXPECT_EQ(server->built.size(), 1u);
  EXPECT_EQ(linkTarget(path + ".lock"), std::to_string(::getpid()));
}

// --- half-close, abort, where connections were made ----------------------------------------------

// Half-close: the client sends and closes its writing half; the server sees
// readConnectionLost, answers and closes; the client reads the answer.
TYPED_TEST(UNIXTests, halfClose) {
  auto& r = this->reactor;
  const std::string path = this->dir / "half.sock";
  auto server = std::make_shared<ServerFactory<HalfCloseable>>([](HalfCloseable& p) {
    p.onReadLost = [](HalfCloseable& self) {
      self.transport()->write("got " + self.received);
      self.transport()->loseConnection();
    };
  });
  auto port = r.listenUNIX(path, server);
  auto client = std::make_shared<ClientFactory<HalfCloseable>>([](HalfCloseable& p) {
    p.onMade = [](Scripted& self) {
      self.transport()->write("ping");
      self.stream().loseWriteConnection();
    };
    p.onReadLost = [](HalfCloseable& self) { self.transport()->loseConnection(); };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  r.connectUNIX(path, client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_EQ(server->built.size(), 1u);
  HalfCloseable& c = *client->built[0];
  HalfCloseable& s = *server->built[0];
  EXPECT_TRUE(c.writeLost);
  EXPECT_TRUE(s.readLost);
  EXPECT_EQ(s.received, "ping");
  EXPECT_EQ(c.received, "got ping");
  EXPECT_TRUE(c.readLost);
  ASSERT_TRUE(c.lost.has_value());
  EXPECT_TRUE(c.lost->template check<tw::error::ConnectionDone>());
}

// abortConnection: ConnectionAborted here; the peer sees its connection end.
TYPED_TEST(UNIXTests, abortConnection) {
  auto& r = this->reactor;
  const std::string path = this->dir / "abort.sock";
  auto server = std::make_shared<ServerFactory<>>(
      [&](Scripted& p) { p.onLost = [&](Scripted&, const tw::Failure&) { r.stop(); }; });
  auto port = r.listenUNIX(path, server);
  auto client = std::make_shared<ClientFactory<>>([](Scripted& p) {
    p.onMade = [](Scripted& self) {
      self.transport()->write("bye");
      self.stream().abortConnection();
    };
  });
  r.connectUNIX(path, client);
  this->runBounded();
  ASSERT_EQ(client->built.size(), 1u);
  ASSERT_TRUE(client->built[0]->lost.has_value());
  EXPECT_TRUE(client->built[0]->lost->template check<tw::error::ConnectionAborted>());
  ASSERT_EQ(server->built.size(), 1u);
  EXPECT_TRUE(server->built[0]->lost.has_value());
}

// An accepted connection reports the listenUNIX call as where it was made; a client one the
// connectUNIX call.
TYPED_TEST(UNIXTests, createdAtIsTheCallSite) {
  auto& r = this->reactor;
  const std::string path = this->dir / "where.sock";
  std::source_location serverMade, clientMade;
  auto server = std::make_shared<ServerFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      serverMade = dynamic_cast<tw::IFileDescriptor&>(*self.transport()).createdAt();
      self.transport()->loseConnection();
    };
  });
  const auto listenLine = std::source_location::current().line() + 1;
  auto port = r.listenUNIX(path, server);
  auto client = std::make_shared<ClientFactory<>>([&](Scripted& p) {
    p.onMade = [&](Scripted& self) {
      clientMade = dynamic_cast<tw::IFileDescriptor&>(*self.transport()).createdAt();
    };
  });
  client->onLost = [&](const tw::Failure&) { r.stop(); };
  const auto connectLine = std::source_location::current().line() + 1;
  r.connectUNIX(path, client);
  this->runBounded();
  EXPECT_EQ(serverMade.line(), listenLine);
  EXPECT_EQ(clientMade.line(), connectLine);
  EXPECT_NE(std::string(serverMade.file_name()).find("unix_test.cpp"), std::string::npos);
}

// --- FilesystemLock ------------------------------------------------------------------------------

TEST(FilesystemLockTests, lockUnlockAndIsLocked) {
  TempDir dir;
  const std::string name = dir / "x.lock";
  EXPECT_FALSE(tw::isLocked(name));
  tw::FilesystemLock l(name);
  ASSERT_TRUE(l.lock());
  EXPECT_TRUE(l.locked());
  EXPECT_TRUE(l.clean());
  EXPECT_EQ(linkTarget(name), std::to_string(::getpid()));
  EXPECT_TRUE(tw::isLocked(name));
  tw::FilesystemLock other(name);
  EXPECT_FALSE(other.lock());  // held by a live process (this one)
  EXPECT_THROW(other.unlock(), std::logic_error);
  l.unlock();
  EXPECT_FALSE(exists(name));
  EXPECT_FALSE(tw::isLocked(name));
}

TEST(FilesystemLockTests, staleLockIsBroken) {
  TempDir dir;
  const std::string name = dir / "stale.lock";
  ASSERT_EQ(::symlink(std::to_string(deadPid()).c_str(), name.c_str()), 0);
  tw::FilesystemLock l(name);
  ASSERT_TRUE(l.lock());
  EXPECT_FALSE(l.clean());
  EXPECT_EQ(linkTarget(name), std::to_string(::getpid()));
  l.unlock();
}

// A name too long for sockaddr_un, or empty, cannot be listened on.
TYPED_TEST(UNIXTests, unusableNamesCannotListen) {
  auto& r = this->reactor;
  EXPECT_THROW(r.listenUNIX(this->dir / std::string(200, 'n'), std::make_shared<ServerFactory<>>()),
               tw::error::CannotListenError);
  EXPECT_THROW(r.listenUNIX("", std::make_shared<ServerFactory<>>()), tw::error::CannotListenError);
}

TEST(FilesystemLockTests, unixSocketNameMapsTheAtSign) {
  EXPECT_EQ(tw::unixSocketName("@abc"), std::string("\0abc", 4));
  EXPECT_EQ(tw::unixSocketName("/tmp/x"), "/tmp/x");
  EXPECT_EQ(tw::unixSocketName(std::string("\0q", 2)), std::string("\0q", 2));
}

}  // namespace

// --- the transport contract, on a real UNIX connection -------------------------------------------

namespace {

/// A client connected through a socket file on reactor R, its protocol a RecordingProtocol;
/// written() runs the reactor until the server side has seen no new bytes for a few iterations.
template <class R>
struct UNIXHarness {
  class Factory : public tw::ClientFactory {
   public:
    explicit Factory(std::shared_ptr<tw::contract::RecordingProtocol> p) : p_(std::move(p)) {}
    std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress&) override { return p_; }

   private:
    std::shared_ptr<tw::contract::RecordingProtocol> p_;
  };

  UNIXHarness() {
    server = std::make_shared<ServerFactory<>>();
    port = reactor.listenUNIX(dir / "contract.sock", server);
    reactor.connectUNIX(dir / "contract.sock", std::make_shared<Factory>(proto));
    for (int i = 0; i < 500 && (!proto->connected() || server->built.empty()); ++i) {
      reactor.iterate(10ms);
    }
    if (!proto->connected() || server->built.empty()) throw std::runtime_error("no connection");
    transport_ = dynamic_cast<tw::ITCPTransport*>(proto->transport());
  }
  tw::ITCPTransport& transport() { return *transport_; }
  tw::contract::RecordingProtocol& protocol() { return *proto; }
  std::string written() {
    std::size_t last = 0;
    for (int quiet = 0, i = 0; quiet < 5 && i < 500; ++i) {
      reactor.iterate(2ms);
      const std::size_t now = server->built[0]->received.size();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
    return server->built[0]->received;
  }

  TempDir dir;
  R reactor;
  std::shared_ptr<ServerFactory<>> server;
  std::shared_ptr<tw::IListeningPort> port;
  std::shared_ptr<tw::contract::RecordingProtocol> proto =
      std::make_shared<tw::contract::RecordingProtocol>();
  tw::ITCPTransport* transport_ = nullptr;
};

}  // namespace

namespace tw::contract {
using UNIXHarnesses = ::testing::Types<UNIXHarness<tw::EpollReactor>, UNIXHarness<tw::PollReactor>,
                                       UNIXHarness<tw::SelectReactor>>;
struct UNIXHarnessNames {
  template <class H>
  static std::string GetName(int /*i*/) {
    return ReactorNames::GetName<decltype(std::declval<H>().reactor)>(0);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(UNIX, TransportContract, UNIXHarnesses, UNIXHarnessNames);
}  // namespace tw::contract
