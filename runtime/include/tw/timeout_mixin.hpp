/// @file
/// TimeoutMixin: one idle timeout for a protocol, on an injected clock.
/// Twisted: twisted.protocols.policies.TimeoutMixin.  Tests: tests/runtime/timeout_mixin_test.cpp
#pragma once

#include <optional>

#include "tw/interfaces/i_reactor_time.hpp"

namespace tw {

/// Mix into a protocol to time out idle connections.
///
/// @code
/// class Calc : public tw::LineReceiver, public tw::TimeoutMixin {
///  public:
///   explicit Calc(tw::IReactorTime& clock) : TimeoutMixin(clock) {}
///   void connectionMade() override { setTimeout(60s); }
///   void lineReceived(std::string_view line) override { resetTimeout(); ... }
///   void connectionLost(const tw::Failure& r) override { setTimeout(std::nullopt); ... }
/// };
/// @endcode
///
/// When the timeout passes with no `resetTimeout()`, `timeoutConnection()` runs; by default it
/// closes the connection (`loseConnection()` on the protocol's transport, if the object is a
/// connected tw::Protocol).  The deadline is exactly `timeOut()` after the last reset.
///
/// Lifetime: the pending call is cancelled when the object is destroyed, so a timeout never
/// runs on a destroyed protocol.  Cancel it in connectionLost as well (`setTimeout(nullopt)`),
/// as Twisted protocols do, so it does not fire on a closed connection.
///
/// Differs from Twisted: a timeout call cancelled from outside is forgotten, so a later
/// `setTimeout(period)` schedules a new one and `resetTimeout()` does nothing (Twisted raises
/// AlreadyCancelled from both); the clock is given to the constructor (or `setClock`) instead of
/// overriding a `callLater` method; and the destructor cancels the pending call.
class TimeoutMixin {
 public:
  /// @param clock  where the timeout is scheduled; must outlive this object.
  explicit TimeoutMixin(IReactorTime& clock) noexcept : clock_(&clock) {}
  TimeoutMixin(const TimeoutMixin&) = delete;
  TimeoutMixin& operator=(const TimeoutMixin&) = delete;
  /// Cancels the pending timeout, if any.
  virtual ~TimeoutMixin();

  /// Changes the timeout period; `std::nullopt` disables it.  A pending timeout is rescheduled
  /// `period` from now (or cancelled); otherwise one is scheduled.  Returns the previous period.
  std::optional<Seconds> setTimeout(std::optional<Seconds> period);

  /// Restarts the countdown from now, if a timeout is pending (no-op after it fired or while
  /// disabled).
  void resetTimeout();

  /// The current period, or nothing when disabled.  Twisted: TimeoutMixin.timeOut.
  std::optional<Seconds> timeOut() const noexcept { return timeOut_; }

  /// True while a timeout is scheduled.
  bool timeoutPending() const noexcept { return timeoutCall_ != nullptr; }

  /// Uses another clock for timeouts scheduled from now on.
  void setClock(IReactorTime& clock) noexcept { clock_ = &clock; }

  /// The clock timeouts are scheduled on.
  IReactorTime& clock() const noexcept { return *clock_; }

 protected:
  /// The connection timed out.  By default closes it: `transport()->loseConnection()` if this
  /// object is a connected tw::Protocol.  Override for anything else.
  virtual void timeoutConnection();

 private:
  void timedOut();
  void forgetInactiveCall() noexcept;

  IReactorTime* clock_;
  std::optional<Seconds> timeOut_;
  DelayedCallPtr timeoutCall_;
};

}  // namespace tw
