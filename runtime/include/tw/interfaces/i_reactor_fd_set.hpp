/// @file
/// IReactorFDSet and the descriptor interfaces: watching a user's own file descriptors.
/// Twisted: twisted.internet.interfaces.IReactorFDSet, IFileDescriptor, IReadDescriptor,
/// IWriteDescriptor, ILoggingContext.  Tests: tests/fakes/memory_reactor_test.cpp
#pragma once

#include <optional>
#include <source_location>
#include <string>
#include <vector>

#include "tw/failure.hpp"

namespace tw {

/// A file descriptor the reactor can watch.
///
/// Ownership: the reactor does not own descriptors; remove a descriptor (removeReader/
/// removeWriter) before destroying it.
class IFileDescriptor {
 public:
  virtual ~IFileDescriptor() = default;

  /// The descriptor number, or -1 if it is closed.
  virtual int fileno() const = 0;

  /// The descriptor was removed because of `reason` (an error, or the reactor shutting down).
  virtual void connectionLost(const Failure& reason) = 0;

  /// A prefix for log lines about this descriptor.  Twisted: ILoggingContext.logPrefix.
  virtual std::string logPrefix() const { return "-"; }

  /// Where the code that made this descriptor asked for it (the listenTCP or connectTCP call),
  /// so trial's janitor can name it; empty (no file name) when unknown.
  virtual std::source_location createdAt() const { return {}; }
};

/// A descriptor with data to read.
class IReadDescriptor : public virtual IFileDescriptor {
 public:
  /// The descriptor is readable.  Returns a Failure to have the reactor remove it and call
  /// connectionLost with that reason; nothing to keep it.
  virtual std::optional<Failure> doRead() = 0;
};

/// A descriptor that wants to write.
class IWriteDescriptor : public virtual IFileDescriptor {
 public:
  /// The descriptor is writable.  Returns a Failure to have the reactor remove it and call
  /// connectionLost with that reason; nothing to keep it.
  virtual std::optional<Failure> doWrite() = 0;
};

/// Watching descriptors for readability and writability.
class IReactorFDSet {
 public:
  virtual ~IReactorFDSet() = default;

  /// Calls `reader.doRead()` whenever it is readable, until removed.  Adding twice is a no-op.
  virtual void addReader(IReadDescriptor& reader) = 0;
  /// Calls `writer.doWrite()` whenever it is writable, until removed.
  virtual void addWriter(IWriteDescriptor& writer) = 0;
  /// Stops watching for reads (no-op if not watched).
  virtual void removeReader(IReadDescriptor& reader) = 0;
  /// Stops watching for writes (no-op if not watched).
  virtual void removeWriter(IWriteDescriptor& writer) = 0;
  /// Stops watching everything; returns what was watched (each descriptor once).
  virtual std::vector<IFileDescriptor*> removeAll() = 0;
  /// The descriptors watched for reads.
  virtual std::vector<IReadDescriptor*> getReaders() const = 0;
  /// The descriptors watched for writes.
  virtual std::vector<IWriteDescriptor*> getWriters() const = 0;
};

}  // namespace tw
