#!/usr/bin/python3
"""Replays the random Deferred programs of tests/runtime/deferred_property_test.cpp on real
Twisted and compares each trace with the one the test's reference model predicted.

This checks the model (not tw): DeferredPropertyTests.chainsMatchTwistedModel compares tw with
the model, and this script compares the model with Twisted. Not built, not run by ctest.

    TW_DEFERRED_MODEL_DUMP=/tmp/chains.jsonl <runtime test binary> \\
        --gtest_filter='DeferredPropertyTests.chainsMatchTwistedModel'
    /usr/bin/python3 tests/runtime/tools/deferred_model_check.py /tmp/chains.jsonl

    /usr/bin/python3 tests/runtime/tools/deferred_model_check.py --examples

prints, for each example-based test of DeferredTwistedExampleTests (same names), the trace that
Twisted gives; the tests quote it in their "// Twisted 22.4:" comments.

Each line of the dump is one program (root canceller, operations, steps) and the model's trace;
the harness below is a line-by-line port of the C++ Harness/TwRun classes (same trace format,
same choice of "inner" Deferreds, same settle phase). It also checks that the Deferreds the model
leaves holding a Failure are exactly those Twisted logs as "Unhandled error in Deferred" once
garbage-collected.

tw's documented differences are emulated where the programs reach them, so that the rest of the
trace stays comparable:
  - a callback returning its own Deferred: tw fails the chain with CallbackReturnedSelfError
    (tag "self"); Twisted would warn and wait forever. The callback raises Tagged("self") here.
  - a callback given a result that chaining already took: tw does not call it and fails with
    ResultConsumedError ("consumed"); Twisted calls it with None. The callback raises
    Tagged("consumed") here before recording the call.
Run with Debian's /usr/bin/python3 (python3-twisted 22.4).
"""

import gc
import json
import sys
import warnings

import twisted
from twisted.internet.defer import AlreadyCalledError, CancelledError, Deferred, fail, succeed
from twisted.logger import globalLogBeginner, globalLogPublisher
from twisted.python.failure import Failure


class Tagged(Exception):
    def __init__(self, tag):
        super().__init__(tag)
        self.tag = tag


def tag_of(failure):
    if failure.check(Tagged):
        return failure.value.tag
    if failure.check(CancelledError):
        return "cancelled"
    if failure.check(AlreadyCalledError):
        return "already"
    return "other:" + failure.type.__name__


def op_text(op):
    text = op["op"]
    if op["op"] in ("fireRoot", "fireInner"):
        text += " %d" % op["v"]
    if op["op"] in ("addStep", "addToInner"):
        text += " #%d" % op["step"][0]["id"]
    return text


class Run:
    """Harness + TwRun of the C++ test, on twisted.internet.defer.Deferred."""

    def __init__(self, program):
        self.program = program
        self.trace = []
        self.ds = []
        self.cancellers = []
        self.test_pauses = []
        self.fired_by_test = []
        self.cancelled_by_test = []

    def run(self):
        self.create(self.program["rootCanceller"])
        for op in self.program["ops"]:
            self.trace.append("> " + op_text(op))
            self.run_op(op)
        self.record_states("pre")
        self.trace.append("> settle")
        again = True
        while again:
            again = False
            j = 0
            while j < len(self.test_pauses):  # includes Deferreds created on the way, as in C++
                while self.test_pauses[j] > 0:
                    self.test_pauses[j] -= 1
                    self.ds[j].unpause()
                    again = True
                j += 1
            j = self.oldest_unfired()
            if j > 0:
                self.fired_by_test[j] = True
                self.fire_from_test(j, False, 700 + j)
                again = True
        self.record_states("end")
        return self.trace

    # Deferreds -----------------------------------------------------------------------------
    def create(self, canceller):
        j = len(self.ds)
        self.cancellers.append(canceller)
        self.test_pauses.append(0)
        self.fired_by_test.append(False)
        self.cancelled_by_test.append(False)
        if canceller == "none":
            self.ds.append(Deferred())
        else:
            self.ds.append(Deferred(lambda d: self.canceller_called(j, d)))
        return j

    def canceller_called(self, j, d):
        self.trace.append("canceller %d" % j)
        kind = self.cancellers[j]
        if kind == "firesValue":
            d.callback(9000 + j)
        elif kind == "firesFailure":
            d.errback(Tagged("c%d" % j))

    def fire_or_throw(self, j, fails, what):
        if fails:
            self.ds[j].errback(Tagged(what))
        else:
            self.ds[j].callback(what)

    def fire(self, j, fails, what):
        try:
            self.fire_or_throw(j, fails, what)
        except AlreadyCalledError:
            return False
        return True

    def fire_from_test(self, j, fails, what):
        if not self.fire(j, fails, what):
            self.trace.append("already %d" % j)

    def pause(self, j):
        self.test_pauses[j] += 1
        self.ds[j].pause()

    def oldest_unfired(self):
        for j in range(1, len(self.fired_by_test)):
            if not self.fired_by_test[j]:
                return j
        return 0

    # Steps --------------------------------------------------------------------------------
    def side_function(self, step, side, callback_side, owner):
        def f(result):
            if callback_side and result is None:
                raise Tagged("consumed")  # tw: the callback is not called
            shown = str(result) if callback_side else tag_of(result)
            which = "cb" if callback_side else "eb"
            self.trace.append("call %d %s %s" % (step["id"], which, shown))
            self.apply_effect(side, owner)
            value = (result if callback_side else 0) + side["k"]
            act = side["act"]
            sid = str(step["id"])
            if act == "value":
                return value
            if act == "throw":
                raise Tagged("t" + sid)
            if act == "returnFailure":
                return Failure(Tagged("r" + sid))
            if act == "passFailure":
                return result
            if act == "returnSelf":
                raise Tagged("self")  # tw: CallbackReturnedSelfError (Twisted hangs)
            return self.ds[self.make_inner(side, value, step["id"])]

        return f

    def apply_effect(self, side, owner):
        effect = side["effect"]
        if effect == "pause":
            self.pause(owner)
        elif effect == "addLater":
            for step in side["later"]:
                self.attach(owner, step)
        elif effect == "fireInner":
            j = self.oldest_unfired()
            if j > 0:
                self.fired_by_test[j] = True
                self.fire_or_throw(j, False, side["k"] + 500)

    def make_inner(self, side, value, sid):
        act = side["act"]
        j = self.create(side["canceller"] if act == "returnUnfired" else "none")
        if act != "returnUnfired":
            self.fired_by_test[j] = True
            if side["fails"]:
                self.fire(j, True, "i%d" % sid)
            else:
                self.fire(j, False, value)
        if act == "returnPausedFired":
            self.pause(j)
        for step in side["sub"]:
            self.attach(j, step)
        return j

    def attach(self, j, step):
        d = self.ds[j]
        kind = step["kind"]
        cb = self.side_function(step, step["cb"], True, j)
        eb = self.side_function(step, step["eb"], False, j)
        if kind == "addCallback":
            d.addCallback(cb)
        elif kind == "addErrback":
            d.addErrback(eb)
        elif kind == "addCallbacks":
            d.addCallbacks(cb, eb)
        else:
            d.addBoth(lambda r: eb(r) if isinstance(r, Failure) else cb(r))

    # Operations ---------------------------------------------------------------------------
    def run_op(self, op):
        kind = op["op"]
        count = len(self.ds)
        if kind == "addStep":
            self.attach(0, op["step"][0])
        elif kind == "fireRoot":
            self.fire_from_test(0, False, op["v"])
        elif kind == "failRoot":
            self.fire_from_test(0, True, "e0")
        elif kind == "cancelRoot":
            self.ds[0].cancel()
        elif kind == "pauseRoot":
            self.pause(0)
        elif kind == "unpauseRoot":
            if self.test_pauses[0] > 0:
                self.test_pauses[0] -= 1
                self.ds[0].unpause()
        elif kind in ("fireInner", "failInner"):
            j = self.oldest_unfired()
            if j > 0:
                self.fired_by_test[j] = True
                if kind == "fireInner":
                    self.fire_from_test(j, False, op["v"])
                else:
                    self.fire_from_test(j, True, "e%d" % j)
        elif kind == "cancelInner":
            for j in range(1, count):
                if not self.cancelled_by_test[j]:
                    self.cancelled_by_test[j] = True
                    self.ds[j].cancel()
                    break
        elif kind == "unpauseInner":
            for j in range(1, count):
                if self.test_pauses[j] > 0:
                    self.test_pauses[j] -= 1
                    self.ds[j].unpause()
                    break
        elif kind == "addToInner":
            if count > 1:
                self.attach(count - 1, op["step"][0])
        else:
            raise ValueError(kind)

    def record_states(self, when):
        for j, d in enumerate(self.ds):
            result = getattr(d, "result", Ellipsis)
            shown = "none"
            if d.called and d.paused == 0 and isinstance(result, int):
                shown = "v:%d" % result
            elif d.called and d.paused == 0 and isinstance(result, Failure):
                shown = "f:" + tag_of(result)
            elif d.called and result is None:
                shown = "consumed"
            self.trace.append(
                "%s %d called=%d paused=%d waiting=%d result=%s"
                % (when, j, d.called, d.paused, isinstance(result, Deferred), shown)
            )


# Examples ------------------------------------------------------------------------------------
# The Twisted side of the example-based tests in deferred_property_test.cpp.

def show(r):
    if isinstance(r, Failure):
        return r.value.tag if r.check(Tagged) else r.type.__name__
    return repr(r)


def rec(trace, name, fn=None):
    """A callback that records `name(input)` and returns fn(input) (default: the input)."""
    def f(x):
        trace.append("%s(%s)" % (name, show(x)))
        return fn(x) if fn else x
    return f


def state(d):
    r = getattr(d, "result", "<none>")
    return "paused=%d result=%s" % (d.paused, "waiting" if isinstance(r, Deferred) else show(r))


EXAMPLES = []


def example(f):
    EXAMPLES.append(f)
    return f


@example
def pauseInsideCallbackDoesNotStopLoop():
    t = []
    d = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: (d.pause(), x + 1)[1]))
    d.addCallback(rec(t, "cb2", fn=lambda x: x + 1))
    d.callback(1)
    t.append(state(d))
    d.addCallback(rec(t, "cb3"))
    t.append("added cb3")
    d.unpause()
    t.append(state(d))
    return t


@example
def callbackExceptionSkipsItsOwnErrback():
    t = []
    d = Deferred()
    def boom(x):
        t.append("cb1(%s)" % x)
        raise Tagged("t1")
    d.addCallbacks(boom, rec(t, "eb1"))
    d.addCallbacks(rec(t, "cb2"), rec(t, "eb2", fn=lambda f: 7))
    d.addCallback(rec(t, "cb3"))
    d.callback(1)
    return t


@example
def errbackReturningFailureKeepsFailing():
    t = []
    d = Deferred()
    d.addErrback(rec(t, "eb1"))
    d.addCallback(rec(t, "cb2"))
    d.addBoth(rec(t, "both3"))
    d.addErrback(rec(t, "eb4", fn=lambda f: 4))
    d.addBoth(rec(t, "both5"))
    d.errback(Tagged("e"))
    return t


@example
def returnedFiredDeferredIsTaken():
    t = []
    d = Deferred()
    inner = fail(Tagged("i"))
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addErrback(rec(t, "eb2", fn=lambda f: 2))
    d.callback(1)
    t.append("inner result=%s" % show(inner.result))
    t.append(state(d))
    return t


@example
def returnedPausedDeferredIsWaitedOn():
    t = []
    d = Deferred()
    inner = succeed(5)
    inner.pause()
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addCallback(rec(t, "cb2"))
    d.callback(1)
    t.append(state(d))
    inner.unpause()
    t.append(state(d))
    return t


@example
def innerCallbacksRunBeforeTheWaiter():
    t = []
    d = Deferred()
    inner = Deferred()
    inner.addCallback(rec(t, "inner1", fn=lambda x: x * 10))
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addCallback(rec(t, "cb2"))
    d.callback(1)
    t.append(state(d))
    inner.callback(2)
    t.append(state(d))
    return t


@example
def waiterPausedWhenInnerFiresLeavesInnerCallbacksPending():
    t = []
    d = Deferred()
    inner = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addCallback(rec(t, "cb2"))
    d.callback(1)
    inner.addCallback(rec(t, "inner1"))  # after the continuation
    d.pause()
    inner.callback(5)
    t.append("d " + state(d))
    t.append("inner " + state(inner))
    d.unpause()
    t.append("d " + state(d))
    inner.addBoth(rec(t, "inner2"))
    t.append("inner " + state(inner))
    return t


@example
def cancelWithoutCancellerSwallowsOneFire():
    t = []
    d = Deferred()
    d.addErrback(rec(t, "eb1", fn=lambda f: 0))
    d.cancel()
    d.callback(1)
    t.append("second fire swallowed")
    try:
        d.callback(2)
    except AlreadyCalledError:
        t.append("third fire: AlreadyCalledError")
    return t


@example
def cancelWithSilentCancellerSwallowsNothing():
    t = []
    d = Deferred(lambda d: t.append("canceller"))
    d.addErrback(rec(t, "eb1", fn=lambda f: 0))
    d.cancel()
    d.cancel()
    try:
        d.callback(1)
    except AlreadyCalledError:
        t.append("AlreadyCalledError")
    return t


@example
def cancellerThatFiresWins():
    t = []
    d = Deferred(lambda d: (t.append("canceller"), d.callback(9)))
    d.addBoth(rec(t, "both1"))
    d.cancel()
    t.append(state(d))
    return t


@example
def cancelWhileWaitingCancelsTheInner():
    t = []
    d = Deferred(lambda d: t.append("outer canceller"))
    inner = Deferred(lambda i: t.append("inner canceller"))
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addBoth(rec(t, "both2"))
    d.callback(1)
    d.cancel()
    t.append(state(d))
    d.cancel()
    t.append("second cancel: nothing")
    return t


@example
def forwardedCancelSwallowsTheInnersNextFire():
    t = []
    d = Deferred()
    inner = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.addBoth(rec(t, "both2"))
    d.callback(1)
    d.cancel()
    inner.callback(5)
    t.append("inner fire swallowed")
    try:
        inner.callback(6)
    except AlreadyCalledError:
        t.append("AlreadyCalledError")
    return t


@example
def callbackAddedByACallbackRunsLast():
    t = []
    d = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: (d.addCallback(rec(t, "added")), x + 1)[1]))
    d.addCallback(rec(t, "cb2", fn=lambda x: x + 1))
    d.callback(1)
    return t


@example
def firingWhilePausedWaitsForUnpause():
    t = []
    d = Deferred()
    d.pause()
    d.addCallback(rec(t, "cb1"))
    d.callback(1)
    t.append("fired: " + state(d))
    d.pause()
    d.unpause()
    t.append("one unpause: " + state(d))
    d.unpause()
    t.append(state(d))
    return t


@example
def chainsOfWaitingDeferredsUnwindInOrder():
    t = []
    a, b, c = Deferred(), Deferred(), Deferred()
    a.addCallback(rec(t, "a1", fn=lambda x: b))
    a.addCallback(rec(t, "a2"))
    b.addCallback(rec(t, "b1", fn=lambda x: c))
    b.addCallback(rec(t, "b2", fn=lambda x: x + 1))
    a.callback(0)
    b.callback(0)
    t.append("a " + state(a) + ", b " + state(b))
    c.callback(10)
    t.append("a " + state(a) + ", b " + state(b) + ", c " + state(c))
    return t


@example
def firingAnInnerFromACallbackRunsItsWaiterFirst():
    t = []
    waiter, inner, other = Deferred(), Deferred(), Deferred()
    waiter.addCallback(rec(t, "w1", fn=lambda x: inner))
    waiter.addCallback(rec(t, "w2"))
    waiter.callback(0)
    other.addCallback(rec(t, "o1", fn=lambda x: (inner.callback(x * 2), x + 1)[1]))
    other.addCallback(rec(t, "o2"))
    other.callback(3)
    return t


@example
def returningItselfFails():
    t = []
    d = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: d))
    d.addBoth(rec(t, "both2"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d.callback(1)
    t.append("paused=%d waiting on itself=%s" % (d.paused, d.result is d))
    return t


@example
def callbacksAfterChainingTookTheResult():
    t = []
    d = Deferred()
    inner = Deferred()
    d.addCallback(rec(t, "cb1", fn=lambda x: inner))
    d.callback(1)
    inner.callback(5)
    inner.addBoth(rec(t, "late1"))
    inner.addBoth(rec(t, "late2"))
    t.append("d " + state(d))
    return t


@example
def returnedDeferredRunningItsCallbacksIsWaitedOn():
    t = []
    x, y = Deferred(), Deferred()
    x.addCallback(rec(t, "x1", fn=lambda v: y))
    x.addCallback(rec(t, "x2"))
    y.addCallback(rec(t, "y1", fn=lambda v: (x.callback(v), v + 100)[1]))
    y.addCallback(rec(t, "y2"))
    y.callback(1)
    t.append("x " + state(x) + ", y " + state(y))
    return t


def unhandled(build):
    events = []
    observer = lambda e: events.append(e)
    globalLogPublisher.addObserver(observer)
    build()
    gc.collect()
    globalLogPublisher.removeObserver(observer)
    return ["%s: %s" % (e.get("log_level").name, e.get("log_format")) for e in events
            if e.get("log_namespace") == "twisted.internet.defer"]


@example
def failureLeftInAChainIsLoggedOnce():
    def build():
        d = Deferred()
        d.addErrback(lambda f: f)
        d.errback(Tagged("e"))
    return unhandled(build)


@example
def recoveredFailureIsNotLogged():
    def build():
        d = Deferred()
        d.addErrback(lambda f: 0)
        d.errback(Tagged("e"))
    return unhandled(build)


@example
def failureTakenByChainingIsLoggedOnlyByTheWaiter():
    def build():
        d = Deferred()
        d.addCallback(lambda x: fail(Tagged("i")))
        d.callback(1)
    return unhandled(build)


@example
def failureOfADeferredPausedBeforeFiringIsLogged():
    def build():
        d = Deferred()
        d.pause()
        d.errback(Tagged("e"))
    return unhandled(build)


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    print("Twisted", twisted.__version__)
    logged = []
    globalLogBeginner.beginLoggingTo([logged.append], redirectStandardIO=False)
    if argv[1] == "--examples":
        for f in EXAMPLES:
            print("%s: %s" % (f.__name__, "; ".join(f())))
        return 0
    total = mismatches = 0
    for line in open(argv[1]):
        program = json.loads(line)
        total += 1
        run = Run(program)
        trace = run.run()
        # The model's trace ends with the states after settling: its Failures are the ones
        # that should be logged as unhandled.
        expected = sorted(
            t.split("result=f:", 1)[1]
            for t in program["trace"]
            if t.startswith("end ") and "result=f:" in t
        )
        del logged[:]
        del run
        gc.collect()
        unhandled = sorted(tag_of(e["log_failure"]) for e in logged if "log_failure" in e)
        if trace != program["trace"] or unhandled != expected:
            mismatches += 1
            if mismatches <= 5:
                print("MISMATCH in program %d:" % total)
                print(json.dumps({k: program[k] for k in ("rootCanceller", "ops")}))
                for i in range(max(len(trace), len(program["trace"]))):
                    left = trace[i] if i < len(trace) else ""
                    right = program["trace"][i] if i < len(program["trace"]) else ""
                    print("%s %-60s| %s" % ("!" if left != right else " ", left, right))
                print("unhandled: Twisted %s, model %s" % (unhandled, expected))
    print("%d programs replayed on Twisted, %d differ from the model" % (total, mismatches))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
