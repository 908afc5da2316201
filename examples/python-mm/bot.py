#!/usr/bin/env python3
"""pymm: a small market-making bot for Bybit V5 linear perpetuals.

It quotes one PostOnly limit order per side around the mid, moves them when the mid moves, keeps |position| under a
limit, and cleans up after itself. It is the example "user bot" of mm-bench: it reads where the venue is from
MMBENCH_* environment variables and otherwise speaks plain Bybit V5 (REST for orders, WebSocket for the book and
for its own orders, fills and position), so it would run against Bybit itself with real URLs.

Threads:
  main       startup, reconciliation over REST, periodic stats, SIGTERM/SIGINT shutdown (cancel-all + confirm)
  public     /v5/public/linear: orderbook.1.<SYMBOL> -> best bid/ask (reconnects with backoff)
  private    /v5/private: auth, order/execution/position (reconnects, then asks main to reconcile)
  quote-Buy  one worker per side: waits on a condition variable woken by the streams, sends at most one
  quote-Sell request at a time for its side (create / amend / cancel), coalescing whatever arrived meanwhile
  *-ping     {"op":"ping"} every 20 s on each WebSocket

Standard library only, plus websocket-client (Debian package python3-websocket).
"""

import argparse
import collections
import hashlib
import hmac
import http.client
import json
import logging
import os
import random
import signal
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit

log = logging.getLogger("pymm")

websocket = None  # the websocket-client module, loaded by load_websocket() (kept out of import time for the tests)

LINK_PREFIX = "pymm-"          # every orderLinkId this bot creates starts with it; leftovers are found by it
RECV_WINDOW_MS = 5000
HTTP_TIMEOUT_S = 5.0
WS_PING_EVERY_S = 20.0
WS_READ_TIMEOUT_S = 45.0       # > ping interval: a connection silent this long (not even a pong) is dead
BOOK_STALE_S = 10.0            # level-1 is re-sent every 3 s even unchanged: 10 s without it = a dead feed
MAX_BUMP_TICKS = 20
POST_ONLY_BOOK_WAIT_S = 0.1    # after a PostOnly reject: replace on the next book update, or after this at most
SIZE_CUT_S = 5.0
BREAKS = ("no-cancel-on-exit", "no-reconnect", "ignore-10006", "slow-requote")
TERMINAL = frozenset({"Filled", "Cancelled", "Rejected", "Deactivated", "PartiallyFilledCanceled"})
ORDER_GONE = frozenset({110001, 110008, 110010})   # the order is not open any more (filled / cancelled)
AUTH_ERRORS = frozenset({10003, 10004, 10005})     # no retry can fix these

REQUIRED_ENV = (
    "MMBENCH_REST_URL", "MMBENCH_WS_PUBLIC_URL", "MMBENCH_WS_PRIVATE_URL", "MMBENCH_API_KEY",
    "MMBENCH_API_SECRET", "MMBENCH_SYMBOL", "MMBENCH_CATEGORY", "MMBENCH_RUN_DIR", "MMBENCH_POSITION_LIMIT",
    "MMBENCH_SEED",
)


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers (unit-tested in test_bot.py)
# ---------------------------------------------------------------------------------------------------------------

def sign_rest(secret, timestamp_ms, api_key, recv_window, payload):
    """X-BAPI-SIGN: hex HMAC-SHA256 of timestamp+key+recvWindow+payload (payload = raw query string or JSON body)."""
    msg = f"{timestamp_ms}{api_key}{recv_window}{payload}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()


def sign_ws_auth(secret, expires_ms):
    """Private WebSocket auth signature: hex HMAC-SHA256 of "GET/realtime" + expires."""
    return hmac.new(secret.encode(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256).hexdigest()


def floor_to_step(x, step):
    return (x / step).to_integral_value(rounding=ROUND_FLOOR) * step


def ceil_to_step(x, step):
    return (x / step).to_integral_value(rounding=ROUND_CEILING) * step


def fmt(x, step):
    """Fixed-point decimal string on the step's grid: Decimal('1E+1') would otherwise print as "1E+1"."""
    return format(x.quantize(step), "f")


def desired_quotes(best_bid, best_ask, tick, half_spread_bps, bid_bump=0, ask_bump=0):
    """(bid, ask) at mid -/+ half-spread, bid rounded down and ask up to the tick, each pushed `bump` ticks further
    away (after PostOnly rejects), and clamped so neither crosses the touch: bid < best ask, ask > best bid."""
    mid = (best_bid + best_ask) / 2
    off = mid * half_spread_bps / Decimal(10000)
    bid = floor_to_step(mid - off, tick) - bid_bump * tick
    ask = ceil_to_step(mid + off, tick) + ask_bump * tick
    if bid >= best_ask:
        bid = best_ask - tick
    if ask <= best_bid:
        ask = best_bid + tick
    return bid, ask


def side_qty(side, base_qty, position, limit, step, min_qty):
    """Size to quote on `side` so that a full fill keeps |position| <= limit; None if nothing tradable is left."""
    room = limit - position if side == "Buy" else limit + position
    qty = floor_to_step(min(base_qty, room), step)
    return qty if qty >= min_qty and qty > 0 else None


def needs_requote(resting, desired, mid, requote_bps):
    """True when the resting price is at least requote_bps (of mid) away from the desired one (and not equal: with a
    threshold of 0, amending to the same price would only earn a "remains unchanged" error)."""
    return desired != resting and abs(desired - resting) * Decimal(10000) >= requote_bps * mid


def new_run_id(seed, salt):
    """6 base-36 characters, from the bench seed mixed with a per-process salt (time, pid): reproducible in shape,
    but a second run against the same venue never reuses an orderLinkId (110072)."""
    rng = random.Random(f"{seed}:{salt}")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(6))


def make_link_id(run_id, side, counter):
    """orderLinkId = prefix + run id + side letter + counter, e.g. pymm-k3x9a0-B17 (<= 36 chars, [0-9A-Za-z_-])."""
    link = f"{LINK_PREFIX}{run_id}-{side[0]}{counter}"
    if len(link) > 36:
        raise ValueError(f"orderLinkId too long: {link}")
    return link


def parse_close_code(data):
    """Status code of a WebSocket close frame payload (1005 = no status given)."""
    if data and len(data) >= 2:
        return struct.unpack("!H", data[:2])[0]
    return 1005


def signed_position(size, side):
    """Bybit positions are size >= 0 plus side Buy/Sell/""; we keep one signed number."""
    qty = Decimal(size or "0")
    return -qty if side == "Sell" else qty


class Backoff:
    """Exponential backoff: base, 2*base, ... capped; reset() after a success."""

    def __init__(self, base, cap):
        self.base, self.cap, self.current = base, cap, base

    def next(self):
        delay = self.current
        self.current = min(self.cap, self.current * 2)
        return delay

    def reset(self):
        self.current = self.base


class RateGate:
    """Shared 10006 backoff for order requests: 200 ms doubling to 5 s, never earlier than the venue's
    X-Bapi-Limit-Reset-Timestamp. While closed no order request goes out; when it reopens one request goes first as a
    probe (the other side waits for its answer), so a storm costs one request per backoff step, not one per side."""

    def __init__(self, base=0.2, cap=5.0, clock=time.monotonic):
        self.base, self.cap, self.clock = base, cap, clock
        self.until = 0.0
        self.strikes = 0
        self.probing = False
        self.lock = threading.Lock()

    def try_acquire(self):
        """0 = go; a number = seconds to wait; None = wait for the probe in flight to be answered."""
        with self.lock:
            now = self.clock()
            if now < self.until:
                return self.until - now
            if self.strikes == 0:
                return 0
            if self.probing:
                return None
            self.probing = True
            return 0

    def on_rate_limited(self, reset_in_s=None):
        """Records a 10006; returns the delay before the next request."""
        with self.lock:
            self.strikes += 1
            delay = min(self.cap, self.base * (2 ** (self.strikes - 1)))
            if reset_in_s is not None:
                delay = max(delay, min(self.cap, reset_in_s))
            self.until = self.clock() + delay
            self.probing = False
            return delay

    def on_answer(self):
        """Any answer other than 10006 passed the rate limiter: the window has room again."""
        with self.lock:
            self.strikes = 0
            self.probing = False

    def on_no_answer(self):
        with self.lock:
            self.probing = False


# ---------------------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------------------

class ConfigError(Exception):
    pass


@dataclass
class Config:
    rest_url: str
    ws_public_url: str
    ws_private_url: str
    ws_trade_url: str
    api_key: str
    api_secret: str
    symbol: str
    category: str
    run_dir: str
    position_limit: Decimal
    seed: int
    qty: Decimal
    half_spread_bps: Decimal
    requote_bps: Decimal
    breaks: frozenset = field(default_factory=frozenset)


def _decimal(env, name, default=None, positive=False):
    raw = env.get(name, default)
    try:
        value = Decimal(raw)
    except (InvalidOperation, TypeError):
        raise ConfigError(f"{name} must be a decimal number, got {raw!r}")
    if not value.is_finite() or value < 0 or (positive and value == 0):
        raise ConfigError(f"{name} must be a {'positive' if positive else 'non-negative'} number, got {raw!r}")
    return value


def load_config(env, breaks=()):
    missing = [name for name in REQUIRED_ENV if not env.get(name)]
    if missing:
        raise ConfigError(f"missing required environment variable(s): {', '.join(missing)}")
    try:
        seed = int(env["MMBENCH_SEED"])
    except ValueError:
        raise ConfigError(f"MMBENCH_SEED must be an integer, got {env['MMBENCH_SEED']!r}")
    for name in ("MMBENCH_REST_URL", "MMBENCH_WS_PUBLIC_URL", "MMBENCH_WS_PRIVATE_URL"):
        scheme = urlsplit(env[name]).scheme
        if scheme not in (("http", "https") if name == "MMBENCH_REST_URL" else ("ws", "wss")):
            raise ConfigError(f"{name} has an unexpected scheme: {env[name]!r}")
    return Config(
        rest_url=env["MMBENCH_REST_URL"].rstrip("/"),
        ws_public_url=env["MMBENCH_WS_PUBLIC_URL"],
        ws_private_url=env["MMBENCH_WS_PRIVATE_URL"],
        ws_trade_url=env.get("MMBENCH_WS_TRADE_URL", ""),   # unused: orders go over REST
        api_key=env["MMBENCH_API_KEY"],
        api_secret=env["MMBENCH_API_SECRET"],
        symbol=env["MMBENCH_SYMBOL"],
        category=env["MMBENCH_CATEGORY"],
        run_dir=env["MMBENCH_RUN_DIR"],
        position_limit=_decimal(env, "MMBENCH_POSITION_LIMIT"),
        seed=seed,
        qty=_decimal(env, "PYMM_QTY", "0.01", positive=True),
        half_spread_bps=_decimal(env, "PYMM_HALF_SPREAD_BPS", "4"),
        requote_bps=_decimal(env, "PYMM_REQUOTE_BPS", "1"),
        breaks=frozenset(breaks),
    )


def parse_args(argv):
    p = argparse.ArgumentParser(description="pymm: a small Bybit V5 market maker (mm-bench example bot)")
    p.add_argument("--break", dest="breaks", action="append", default=[], choices=BREAKS, metavar="FLAW",
                   help=f"break the bot on purpose (repeatable): {', '.join(BREAKS)}")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------------------------
# REST
# ---------------------------------------------------------------------------------------------------------------

class TransportError(Exception):
    """No usable answer (connection refused/reset, timeout, HTTP 5xx, not JSON). maybe_applied: the request may have
    reached the venue, so the order state is unknown until we look."""

    def __init__(self, message, maybe_applied=True):
        super().__init__(message)
        self.maybe_applied = maybe_applied


class FatalError(Exception):
    """Credentials or configuration the venue refuses; retrying cannot help."""


@dataclass
class Reply:
    code: int
    msg: str
    result: dict
    status: int
    reset_at_ms: int = 0   # X-Bapi-Limit-Reset-Timestamp (venue clock), 0 if absent

    @property
    def ok(self):
        return self.code == 0


class RestClient:
    """Signed Bybit V5 REST over one persistent keep-alive HTTP connection per thread.

    10002 (timestamp outside recv_window) resyncs the clock offset from /v5/market/time and retries once. 10006 is
    returned to the caller (who backs off), except with --break ignore-10006, where it is retried at once, forever."""

    def __init__(self, base_url, api_key, api_secret, stop, hammer_10006=False, timeout=HTTP_TIMEOUT_S):
        u = urlsplit(base_url)
        self.https = u.scheme == "https"
        self.host, self.port = u.hostname, u.port or (443 if self.https else 80)
        self.base_path = u.path.rstrip("/")
        self.api_key, self.api_secret = api_key, api_secret
        self.stop = stop
        self.hammer_10006 = hammer_10006
        self.timeout = timeout
        self.offset_ms = 0          # venue clock - local clock
        self._local = threading.local()
        self._stats_lock = threading.Lock()
        self.requests = collections.Counter()   # path -> requests sent (every HTTP request, retries included)
        self.codes = collections.Counter()      # retCode / "HTTP 5xx" / "transport" -> count

    def now_ms(self):
        return int(time.time() * 1000) + self.offset_ms

    def stats(self):
        """Copies of the counters (other threads keep adding keys)."""
        with self._stats_lock:
            return collections.Counter(self.requests), collections.Counter(self.codes)

    def _count(self, counter, key):
        with self._stats_lock:
            counter[key] += 1

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn, self._local.used = conn, False
        return conn

    def _drop_connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def _roundtrip(self, method, url, body, headers):
        for attempt in (0, 1):
            conn = self._connection()
            reused = self._local.used
            try:
                conn.request(method, url, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self._local.used = True
                return resp.status, resp, data
            except ConnectionRefusedError as e:
                self._drop_connection()
                raise TransportError(f"connection refused: {e}", maybe_applied=False)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self._drop_connection()
                # The server closed an idle keep-alive connection under us: the request never reached it. Retry once
                # on a fresh connection (what urllib3 does too); on a fresh connection the outcome is unknown.
                if reused and attempt == 0:
                    continue
                raise TransportError(f"{type(e).__name__}: {e}")
            except (OSError, http.client.HTTPException) as e:   # timeouts are OSError too
                self._drop_connection()
                raise TransportError(f"{type(e).__name__}: {e}")
        raise AssertionError("unreachable")

    def _parse(self, path, status, resp, data):
        if status >= 500:
            self._count(self.codes, f"HTTP {status}")
            raise TransportError(f"HTTP {status} on {path}")
        try:
            env = json.loads(data)
            code = int(env["retCode"])
        except (ValueError, KeyError, TypeError):
            self._count(self.codes, f"HTTP {status}")
            raise TransportError(f"HTTP {status} on {path} without a Bybit envelope: {data[:120]!r}")
        self._count(self.codes, code)
        try:
            reset = int(resp.getheader("X-Bapi-Limit-Reset-Timestamp") or 0)
        except ValueError:
            reset = 0
        result = env.get("result")
        return Reply(code, str(env.get("retMsg", "")), result if isinstance(result, dict) else {}, status, reset)

    def call(self, method, path, params, signed=True, give_up=None):
        """One logical request. Raises TransportError; returns a Reply for every Bybit envelope."""
        give_up = give_up or self.stop.is_set
        resynced = False
        while True:
            if method == "GET":
                payload = urlencode(params)
                url, body = self.base_path + path + ("?" + payload if payload else ""), None
            else:
                payload = json.dumps(params, separators=(",", ":"))
                url, body = self.base_path + path, payload.encode()
            headers = {"Content-Type": "application/json"}
            if signed:
                ts = self.now_ms()
                headers.update({
                    "X-BAPI-API-KEY": self.api_key, "X-BAPI-TIMESTAMP": str(ts),
                    "X-BAPI-RECV-WINDOW": str(RECV_WINDOW_MS),
                    "X-BAPI-SIGN": sign_rest(self.api_secret, ts, self.api_key, RECV_WINDOW_MS, payload),
                })
            self._count(self.requests, path)
            try:
                status, resp, data = self._roundtrip(method, url, body, headers)
            except TransportError:
                self._count(self.codes, "transport")
                raise
            reply = self._parse(path, status, resp, data)
            if reply.code == 10002 and signed and not resynced:
                log.warning("10002 on %s (%s): resyncing the clock and retrying once", path, reply.msg)
                self.sync_clock()
                resynced = True
                continue
            if reply.code == 10006 and self.hammer_10006 and not give_up():
                # --break ignore-10006: the classic bug, a retry wrapper that thinks every error is transient.
                log.warning("10006 on %s: retrying immediately (--break ignore-10006)", path)
                continue
            return reply

    def sync_clock(self):
        """offset = venue time - local time, taken at the middle of a /v5/market/time round trip."""
        t0 = time.time()
        reply = self.call("GET", "/v5/market/time", {}, signed=False)
        t1 = time.time()
        if not reply.ok:
            raise TransportError(f"/v5/market/time answered {reply.code} {reply.msg}", maybe_applied=False)
        server_ms = int(reply.result.get("timeNano", 0)) // 1_000_000 or int(reply.result["timeSecond"]) * 1000
        old = self.offset_ms
        self.offset_ms = int(server_ms - (t0 + t1) / 2 * 1000)
        log.info("clock offset to the venue: %+d ms (was %+d ms, round trip %.1f ms)",
                 self.offset_ms, old, (t1 - t0) * 1000)


# ---------------------------------------------------------------------------------------------------------------
# WebSockets
# ---------------------------------------------------------------------------------------------------------------

class SessionEnded(Exception):
    """The stream decided to drop its connection (failed auth or subscribe)."""


class Stream:
    """One WebSocket kept connected: connect, open the session (subtype), read, and on any drop reconnect with
    backoff 100 ms doubling to 2 s, forever until stopped (or never, with --break no-reconnect)."""

    name = "stream"
    stale_after = None   # seconds without a topic message before the connection is treated as dead (None = never)

    def __init__(self, url, no_reconnect):
        self.url = url
        self.no_reconnect = no_reconnect
        self.stop_event = threading.Event()
        self.backoff = Backoff(0.1, 2.0)
        self.ws = None
        self.ws_lock = threading.Lock()
        self.last_ping = 0.0
        self.last_data = 0.0     # last topic message (pongs and acks do not count)
        self.connects = 0
        self.down_since = None
        self.threads = []

    # -- subclass hooks
    def on_open(self, ws):
        raise NotImplementedError

    def on_message(self, ws, msg):
        raise NotImplementedError

    def on_down(self):
        pass

    # -- lifecycle
    def start(self):
        for target, suffix in ((self._run, ""), (self._heartbeat, "-ping")):
            t = threading.Thread(target=target, name=self.name + suffix, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stop_event.set()
        with self.ws_lock:
            ws = self.ws
        if ws is not None:
            try:
                ws.abort()   # wakes the reader blocked in recv
            except OSError:
                pass

    def join(self, timeout):
        for t in self.threads:
            t.join(timeout)

    def send(self, ws, obj):
        ws.send(json.dumps(obj, separators=(",", ":")))

    def mark_ready(self):
        """The session is fully set up (subscribed): a later drop restarts the backoff from 100 ms."""
        self.backoff.reset()
        if self.down_since is not None:
            log.info("%s: back after %.0f ms", self.name, (time.monotonic() - self.down_since) * 1000)
            self.down_since = None

    def _run(self):
        while not self.stop_event.is_set():
            try:
                ws = websocket.create_connection(self.url, timeout=5, enable_multithread=True)
            except (OSError, websocket.WebSocketException) as e:
                if self.down_since is None:
                    self.down_since = time.monotonic()
                if not self._retry(f"connect failed: {type(e).__name__}: {e}"):
                    return
                continue
            ws.settimeout(WS_READ_TIMEOUT_S)
            with self.ws_lock:
                self.ws = ws
            self.connects += 1
            self.last_ping = self.last_data = time.monotonic()
            reason = self._session(ws)
            with self.ws_lock:
                self.ws = None
            try:
                ws.shutdown()
            except OSError:
                pass
            if self.down_since is None:
                self.down_since = time.monotonic()
            self.on_down()
            if self.stop_event.is_set():
                return
            if not self._retry(reason):
                return

    def _retry(self, reason):
        if self.no_reconnect:
            log.warning("%s: %s; not reconnecting (--break no-reconnect), running without this stream",
                        self.name, reason)
            return False
        delay = self.backoff.next()
        log.warning("%s: %s; reconnecting in %.0f ms", self.name, reason, delay * 1000)
        return not self.stop_event.wait(delay)

    def _session(self, ws):
        """Reads until the connection ends; returns why."""
        try:
            self.on_open(ws)
            while not self.stop_event.is_set():
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    text = data[2:].decode("utf-8", "replace") if len(data) > 2 else ""
                    return f"closed by the venue (code {parse_close_code(data)}{' ' + text if text else ''})"
                if opcode != websocket.ABNF.OPCODE_TEXT:
                    continue
                try:
                    msg = json.loads(data)
                except ValueError:
                    log.warning("%s: ignoring a frame that is not JSON: %r", self.name, data[:120])
                    continue
                if isinstance(msg, dict):
                    self.on_message(ws, msg)
            return "stopped"
        except websocket.WebSocketTimeoutException:
            return f"no data for {WS_READ_TIMEOUT_S:.0f} s"
        except SessionEnded as e:
            return str(e)
        except (OSError, websocket.WebSocketException) as e:
            # A TCP reset without a close frame: what browsers report as 1006 (abnormal closure).
            return f"connection lost (1006: {type(e).__name__}: {e})"

    def _heartbeat(self):
        """Bybit drops connections that send nothing; it recommends {"op":"ping"} every 20 s."""
        while not self.stop_event.wait(1.0):
            with self.ws_lock:
                ws = self.ws
            if ws is None:
                continue
            if self.stale_after and time.monotonic() - self.last_data > self.stale_after:
                # Pongs still arrive but the data stopped (a muted topic, a stuck feed): reconnect and resubscribe.
                log.warning("%s: no data for %.0f s; reconnecting", self.name, self.stale_after)
                self.last_data = time.monotonic()
                try:
                    ws.abort()
                except OSError:
                    pass
                continue
            if time.monotonic() - self.last_ping < WS_PING_EVERY_S:
                continue
            self.last_ping = time.monotonic()
            try:
                self.send(ws, {"op": "ping", "req_id": f"ping-{int(self.last_ping)}"})
            except (OSError, websocket.WebSocketException) as e:
                log.warning("%s: ping failed (%s); dropping the connection", self.name, e)
                try:
                    ws.abort()
                except OSError:
                    pass


class PublicStream(Stream):
    """orderbook.1.<SYMBOL>: level-1 snapshots (pushed on change, and every 3 s unchanged) -> best bid/ask."""

    name = "public"
    stale_after = BOOK_STALE_S

    def __init__(self, url, symbol, quoter, no_reconnect):
        super().__init__(url, no_reconnect)
        self.topic = f"orderbook.1.{symbol}"
        self.quoter = quoter

    def on_open(self, ws):
        self.send(ws, {"op": "subscribe", "req_id": "book", "args": [self.topic]})

    def on_message(self, ws, msg):
        if msg.get("topic") == self.topic:
            self.last_data = time.monotonic()
            data = msg.get("data") or {}
            bids, asks = data.get("b") or [], data.get("a") or []
            self.quoter.on_book(Decimal(bids[0][0]) if bids else None, Decimal(asks[0][0]) if asks else None)
        elif msg.get("op") == "subscribe":
            if not msg.get("success"):
                raise SessionEnded(f"subscribe failed: {msg.get('ret_msg')}")
            log.info("public: subscribed %s", self.topic)
            self.mark_ready()

    def on_down(self):
        # Without market data, hold: no new order or amend is priced off a book we no longer see (resting quotes
        # stay; the next snapshot after the reconnect moves them).
        self.quoter.on_book(None, None)


class PrivateStream(Stream):
    """auth, then order/execution/position. When subscribed it asks the bot to reconcile over REST: anything that
    happened while it was down (fills, cancels) is only visible there."""

    name = "private"
    TOPICS = ("order", "execution", "position")

    def __init__(self, url, cfg, rest, quoter, no_reconnect):
        super().__init__(url, no_reconnect)
        self.cfg, self.rest, self.quoter = cfg, rest, quoter

    def on_open(self, ws):
        expires = self.rest.now_ms() + 10000
        self.send(ws, {"op": "auth", "req_id": "auth",
                       "args": [self.cfg.api_key, expires, sign_ws_auth(self.cfg.api_secret, expires)]})

    def on_message(self, ws, msg):
        topic = msg.get("topic")
        if topic == "order":
            self.quoter.on_orders(msg.get("data") or [])
        elif topic == "execution":
            self.quoter.on_executions(msg.get("data") or [])
        elif topic == "position":
            self.quoter.on_positions(msg.get("data") or [])
        elif msg.get("op") == "auth":
            if not msg.get("success"):
                text = str(msg.get("ret_msg"))
                if "expired" in text:
                    try:
                        self.rest.sync_clock()   # our expires was judged in the past: the venue clock moved
                    except TransportError as e:
                        log.warning("private: clock resync failed: %s", e)
                raise SessionEnded(f"auth failed: {text}")
            self.send(ws, {"op": "subscribe", "req_id": "private", "args": list(self.TOPICS)})
        elif msg.get("op") == "subscribe":
            if not msg.get("success"):
                raise SessionEnded(f"subscribe failed: {msg.get('ret_msg')}")
            log.info("private: authenticated, subscribed %s", ",".join(self.TOPICS))
            self.mark_ready()
            self.quoter.on_private_ready()

    def on_down(self):
        self.quoter.on_private_down()


# ---------------------------------------------------------------------------------------------------------------
# Quoting
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Instrument:
    tick: Decimal
    qty_step: Decimal
    min_qty: Decimal


@dataclass(eq=False)
class Order:
    link: str
    side: str
    price: Decimal
    qty: Decimal
    leaves: Decimal
    status: str = "Sending"   # Sending -> Acked/New/PartiallyFilled -> terminal; Unknown after a lost request
    order_id: str = ""
    touch: tuple = ()         # (best bid, best ask) when it was last priced: logged if PostOnly rejects it


@dataclass(eq=False)
class SideState:
    side: str
    order: Order = None
    inflight: bool = False
    bump: int = 0                 # extra ticks away from mid after PostOnly rejects
    size_factor: Decimal = Decimal(1)
    size_cut_until: float = 0.0   # 110007: smaller size (or none) until then
    retry_at: float = 0.0         # transient errors: no request before then
    retry: Backoff = field(default_factory=lambda: Backoff(0.1, 2.0))
    force_cancel: bool = False    # an amend failed for a reason other than "gone": cancel, then create anew
    reject_book_at: float = -1.0  # book_at when PostOnly last rejected us: wait for a newer book before replacing
    reject_at: float = 0.0


class Quoter:
    """Owns the quoting state (guarded by one lock, with a condition variable the streams notify) and the two side
    workers that turn it into requests."""

    def __init__(self, cfg, inst, rest, gate, bot):
        self.cfg, self.inst, self.rest, self.gate, self.bot = cfg, inst, rest, gate, bot
        self.cond = threading.Condition(threading.Lock())
        self.sides = {"Buy": SideState("Buy"), "Sell": SideState("Sell")}
        self.orders = {}              # orderLinkId -> Order, for orders of this run that are (or may be) open
        self.best_bid = self.best_ask = None
        self.book_at = 0.0            # monotonic time of the last book update (reaction-time measurement)
        self.position = Decimal(0)
        self.seen_exec = collections.deque(maxlen=2048)
        self.paused = False           # a reconciliation is running
        self.synced = False           # state matches the venue (a reconciliation completed since the last drop)
        self.private_ok = False       # the private stream is up: we see our fills and cancels
        self.private_epoch = 0        # +1 on every private drop: a reconciliation that raced a drop does not count
        self.stopping = False
        self.run_id = new_run_id(cfg.seed, f"{time.time_ns()}:{os.getpid()}")
        self.counter = 0
        self.workers = []
        self.fills = 0
        self.post_only_rejects = 0
        self.reaction_ms = collections.deque(maxlen=1000)
        self.two_sided_logged = False
        self.slow = "slow-requote" in cfg.breaks

    # -- stream callbacks (stream threads) --------------------------------------------------------------------

    def on_book(self, best_bid, best_ask):
        with self.cond:
            if best_bid is None or best_ask is None or best_bid >= best_ask:
                self.best_bid = self.best_ask = None   # no feed, one-sided or crossed: no mid to quote around
                return
            if best_bid == self.best_bid and best_ask == self.best_ask:
                return
            self.best_bid, self.best_ask = best_bid, best_ask
            self.book_at = time.monotonic()
            self.cond.notify_all()

    def on_orders(self, data):
        with self.cond:
            for d in data:
                if d.get("symbol") != self.cfg.symbol:
                    continue
                o = self.orders.get(d.get("orderLinkId") or "")
                if o is None:
                    continue    # not ours, or already forgotten (cancel acked, reconciled away)
                st = self.sides[o.side]
                o.order_id = d.get("orderId") or o.order_id
                o.status = d.get("orderStatus") or o.status
                if d.get("leavesQty"):
                    o.leaves = Decimal(d["leavesQty"])
                # The price is not taken from pushes: it is what our last acknowledged create/amend set. A push
                # delayed behind a newer amend's ack would otherwise move it back and cause a useless re-amend.
                if o.status in TERMINAL:
                    self._forget(o)
                    reason = d.get("rejectReason", "")
                    if reason == "EC_PostOnlyWillTakeLiquidity":
                        self.post_only_rejects += 1
                        st.bump = min(st.bump + 1, MAX_BUMP_TICKS)
                        st.reject_book_at, st.reject_at = self.book_at, time.monotonic()
                        log.warning("%s %s @ %s (priced against touch %s/%s) cancelled by the venue: PostOnly "
                                    "would take liquidity; replacing it %d tick(s) further away", o.side, o.link,
                                    d.get("price") or o.price, *(o.touch or ("?", "?")), st.bump)
                    elif o.status != "Filled" and d.get("cancelType") not in ("CancelByUser", None):
                        log.warning("%s %s cancelled by the venue (%s, %s)", o.side, o.link,
                                    d.get("cancelType"), reason)
                elif o.status in ("New", "PartiallyFilled") and st.order is o:
                    st.bump = 0   # it rests: the next order goes back to the plain price
                    self._check_two_sided()
            self.cond.notify_all()

    def on_executions(self, data):
        with self.cond:
            for e in data:
                if e.get("symbol") != self.cfg.symbol or e.get("execType", "Trade") != "Trade":
                    continue
                if e.get("execId") in self.seen_exec:
                    continue
                self.seen_exec.append(e.get("execId"))
                qty = Decimal(e.get("execQty") or "0")
                # Applied at once so the position limit reacts to this fill; the position push that follows
                # carries the absolute size and overrides it (so a reordering can only be off until that push).
                self.position += qty if e.get("side") == "Buy" else -qty
                self.fills += 1
                log.info("fill %s %s @ %s (%s, %s) -> position %s", e.get("side"), e.get("execQty"),
                         e.get("execPrice"), "maker" if e.get("isMaker") else "taker", e.get("orderLinkId") or "-",
                         self.position)
            self.cond.notify_all()

    def on_positions(self, data):
        with self.cond:
            for p in data:
                if p.get("symbol") == self.cfg.symbol and int(p.get("positionIdx") or 0) == 0:
                    self.position = signed_position(p.get("size"), p.get("side"))
            self.cond.notify_all()

    def on_private_ready(self):
        with self.cond:
            self.private_ok = True
        self.bot.request_reconcile()

    def on_private_down(self):
        with self.cond:
            # Without the private stream we would not see fills or venue cancels: hold every request until it is
            # back and a reconciliation has brought our state in line with the venue.
            self.private_ok = False
            self.synced = False
            self.private_epoch += 1
        self.bot.wake.set()

    def _check_two_sided(self):
        if self.two_sided_logged:
            return
        if all(s.order is not None and s.order.status in ("New", "PartiallyFilled") for s in self.sides.values()):
            self.two_sided_logged = True
            log.info("two-sided quote resting %.0f ms after start: bid %s @ %s, ask %s @ %s",
                     (time.monotonic() - self.bot.started) * 1000,
                     self.sides["Buy"].order.qty, self.sides["Buy"].order.price,
                     self.sides["Sell"].order.qty, self.sides["Sell"].order.price)

    def _forget(self, o):
        self.orders.pop(o.link, None)
        st = self.sides[o.side]
        if st.order is o:
            st.order = None

    # -- workers ------------------------------------------------------------------------------------------------

    def start_workers(self):
        for side in ("Buy", "Sell"):
            t = threading.Thread(target=self._worker, args=(self.sides[side],), name=f"quote-{side}", daemon=True)
            t.start()
            self.workers.append(t)

    def stop_workers(self, timeout):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        deadline = time.monotonic() + timeout
        for t in self.workers:
            t.join(max(0.0, deadline - time.monotonic()))

    def _worker(self, st):
        while True:
            with self.cond:
                while True:
                    if self.stopping:
                        return
                    action, wait = self._plan(st)
                    if action is not None:
                        st.inflight = True
                        break
                    self.cond.wait(1.0 if wait is None else min(max(wait, 0.001), 1.0))
            if self.slow:
                time.sleep(0.3)   # --break slow-requote: a quote cycle that dawdles before acting
            self._execute(st, action)

    def _side_qty(self, st, now):
        if st.size_cut_until and now >= st.size_cut_until:
            st.size_factor, st.size_cut_until = Decimal(1), 0.0
            log.info("%s: size back to %s after the 110007 cut", st.side, self.cfg.qty)
        return side_qty(st.side, self.cfg.qty * st.size_factor, self.position, self.cfg.position_limit,
                        self.inst.qty_step, self.inst.min_qty)

    def _plan(self, st):
        """Under the lock: the one request this side should send now, or (None, seconds to wait / None)."""
        if self.paused or not self.synced or not self.private_ok or self.best_bid is None:
            return None, None
        o = st.order
        if o is not None and o.status == "Unknown":
            return None, None          # a reconciliation will tell what happened to it
        now = time.monotonic()
        if now < st.retry_at:
            return None, st.retry_at - now
        bids = self.sides["Buy"].bump
        asks = self.sides["Sell"].bump
        bid, ask = desired_quotes(self.best_bid, self.best_ask, self.inst.tick, self.cfg.half_spread_bps, bids, asks)
        price = bid if st.side == "Buy" else ask
        mid = (self.best_bid + self.best_ask) / 2
        qty = self._side_qty(st, now)
        timer = st.size_cut_until - now if st.size_cut_until else None
        if o is None:
            if qty is None:
                return None, timer
            if st.reject_book_at == self.book_at and now < st.reject_at + POST_ONLY_BOOK_WAIT_S:
                # PostOnly just told us our touch is stale (level-1 pushes come every 10 ms, the market can be
                # faster): re-sending against the same touch would be rejected again. Wait for the next book update.
                return None, st.reject_at + POST_ONLY_BOOK_WAIT_S - now
            action = ("create", price, qty)
        elif st.force_cancel or qty is None or o.leaves > qty:
            action = ("cancel", o)     # not wanted, too big for the position room, or not amendable
        elif needs_requote(o.price, price, mid, self.cfg.requote_bps):
            action = ("amend", o, price)
        else:
            return None, timer
        wait = self.gate.try_acquire()
        if wait != 0:
            return None, 0.05 if wait is None else wait   # None: another request is probing the rate limit
        if action[0] == "create":
            self.counter += 1
            o = Order(make_link_id(self.run_id, st.side, self.counter), st.side, price, qty, qty,
                      touch=(self.best_bid, self.best_ask))
            self.orders[o.link] = o
            st.order = o
            action = ("create", o)
        if action[0] == "amend":
            # + the book time (reaction time: book update -> request on the wire) and the touch it was priced at
            action = action + (self.book_at, (self.best_bid, self.best_ask))
        return action, None

    def _execute(self, st, action):
        kind, o = action[0], action[1]
        base = {"category": self.cfg.category, "symbol": self.cfg.symbol}
        if kind == "create":
            path = "/v5/order/create"
            body = dict(base, side=o.side, orderType="Limit", qty=fmt(o.qty, self.inst.qty_step),
                        price=fmt(o.price, self.inst.tick),
                        timeInForce="PostOnly", orderLinkId=o.link, positionIdx=0)
        elif kind == "amend":
            path = "/v5/order/amend"
            body = dict(base, orderLinkId=o.link, price=fmt(action[2], self.inst.tick))
        else:
            path = "/v5/order/cancel"
            body = dict(base, orderLinkId=o.link)
        log.debug("%s %s %s", kind, o.side, body)
        if kind == "amend":
            with self.cond:
                self.reaction_ms.append((time.monotonic() - action[3]) * 1000)
        try:
            reply = self.rest.call("POST", path, body)
        except TransportError as e:
            with self.cond:
                self.gate.on_no_answer()
                self._on_transport_error(st, kind, o, e)
                st.inflight = False
                self.cond.notify_all()
            return
        with self.cond:
            if reply.code == 10006:
                self._on_rate_limited(path, reply)
                if kind == "create":
                    self._forget(o)
            else:
                self.gate.on_answer()
                if reply.code in AUTH_ERRORS:
                    self.bot.fatal(f"{path} refused our credentials: {reply.code} {reply.msg}")
                elif kind == "create":
                    self._on_create(st, o, reply)
                elif kind == "amend":
                    self._on_amend(st, o, action[2], action[4], reply)
                else:
                    self._on_cancel(st, o, reply)
            st.inflight = False
            self.cond.notify_all()

    def _on_rate_limited(self, path, reply):
        reset_in = None
        if reply.reset_at_ms:
            reset_in = max(0.0, (reply.reset_at_ms - self.rest.now_ms()) / 1000)
        delay = self.gate.on_rate_limited(reset_in)
        log.warning("10006 rate limited on %s: no order requests for %.0f ms", path, delay * 1000)

    def _transient(self, st, what):
        delay = st.retry.next()
        st.retry_at = time.monotonic() + delay
        log.warning("%s: %s; retrying in %.0f ms", st.side, what, delay * 1000)

    def _on_transport_error(self, st, kind, o, e):
        if not e.maybe_applied:
            if kind == "create":
                self._forget(o)    # refused before it reached the venue: nothing was placed
        elif self.orders.get(o.link) is o:
            o.status = "Unknown"   # it may or may not have been applied: look before touching it again
            self.bot.request_reconcile()
        self._transient(st, f"{kind} {o.link} failed without an answer ({e})")

    def _on_create(self, st, o, reply):
        if reply.ok:
            st.retry.reset()
            o.order_id = reply.result.get("orderId") or o.order_id
            if o.status == "Sending":
                o.status = "Acked"
            return
        self._forget(o)
        if reply.code == 110007:
            st.size_factor = max(st.size_factor / 2, Decimal(1) / 16)
            st.size_cut_until = time.monotonic() + SIZE_CUT_S
            log.warning("%s: 110007 insufficient balance (%s): size %s for %.0f s", st.side, reply.msg,
                        floor_to_step(self.cfg.qty * st.size_factor, self.inst.qty_step), SIZE_CUT_S)
        elif reply.code == 110072:
            log.warning("%s: 110072 duplicate orderLinkId %s; the next order gets a new one", st.side, o.link)
        else:
            self._transient(st, f"create refused: {reply.code} {reply.msg}")

    def _on_amend(self, st, o, price, touch, reply):
        if reply.ok or (reply.code == 10001 and "unchanged" in reply.msg):
            st.retry.reset()
            o.price, o.touch = price, touch
        elif reply.code in ORDER_GONE:
            # Filled or cancelled and the push has not arrived (or never will): a new order takes its place.
            log.warning("%s: amend %s: %d %s; placing a new order", st.side, o.link, reply.code, reply.msg)
            self._missed_push(o)
        else:
            log.warning("%s: amend %s refused (%d %s); cancelling it to place a new one", st.side, o.link,
                        reply.code, reply.msg)
            st.force_cancel = True
            if reply.code == 10016:
                self._transient(st, "server error on amend")

    def _missed_push(self, o):
        """The venue says an order we think is open is gone. Usually its fill push is a few ms behind; if it never
        comes (a muted or lossy stream) our position is wrong. A reconciliation settles both cases."""
        self._forget(o)
        self.bot.request_reconcile()

    def _on_cancel(self, st, o, reply):
        if reply.ok or reply.code in ORDER_GONE:
            # Forget it now rather than on the push: a late push (or none, if the topic is muted) must not leave
            # the side stuck. Fills that still happen (a late cancel) arrive on the execution stream anyway.
            st.force_cancel = False
            st.retry.reset()
            if reply.ok:
                self._forget(o)
            else:
                self._missed_push(o)
        else:
            self._transient(st, f"cancel {o.link} refused: {reply.code} {reply.msg}")

    # -- reconciliation (main thread) -------------------------------------------------------------------------------

    def reconcile(self, startup):
        """Brings our view in line with the venue's: position and open orders over REST. At startup our leftovers
        (orderLinkIds with our prefix, any run) are cancelled; later, open orders of ours that are not in a side slot
        are cancelled and slots whose order is gone are emptied."""
        t0 = time.monotonic()
        with self.cond:
            epoch = self.private_epoch
            self.paused = True
            deadline = t0 + 2 * HTTP_TIMEOUT_S
            while any(s.inflight for s in self.sides.values()) and time.monotonic() < deadline:
                self.cond.wait(0.05)
        try:
            pos = self.bot.get_retrying("/v5/position/list", {"category": self.cfg.category, "symbol": self.cfg.symbol})
            if pos is None:
                return False
            orders = self.bot.open_orders()
            if orders is None:
                return False
            own = [d for d in orders if (d.get("orderLinkId") or "").startswith(LINK_PREFIX)]
            with self.cond:
                self.position = Decimal(0)
                for p in pos.get("list") or []:
                    if p.get("symbol") == self.cfg.symbol and int(p.get("positionIdx") or 0) == 0:
                        self.position = signed_position(p.get("size"), p.get("side"))
                by_link = {d["orderLinkId"]: d for d in own}
                for st in self.sides.values():
                    st.force_cancel = False
                    o = st.order
                    d = by_link.pop(o.link, None) if (o is not None and not startup) else None
                    if d is not None:
                        o.status, o.order_id = d.get("orderStatus") or "New", d.get("orderId") or o.order_id
                        o.price, o.leaves = Decimal(d["price"]), Decimal(d.get("leavesQty") or d["qty"])
                    elif o is not None:
                        self._forget(o)
                if startup:
                    self.orders.clear()
                leftovers = list(by_link.values())
                position = self.position
            for d in leftovers:
                self.bot.cancel_order(d)
            with self.cond:
                # Only if the private stream did not drop meanwhile: a push we missed could make this stale.
                self.synced = self.private_epoch == epoch and self.private_ok
            log.info("reconciled in %.0f ms: position %s, %d open order(s) of ours, %d %s cancelled",
                     (time.monotonic() - t0) * 1000, position, len(own), len(leftovers),
                     "leftover(s)" if startup else "orphan(s)")
            return True
        finally:
            with self.cond:
                self.paused = False
                self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            quotes = " ".join(
                f"{s.side}={s.order.qty}@{s.order.price}" if s.order else f"{s.side}=-" for s in self.sides.values())
            r = sorted(self.reaction_ms)
            react = f"{r[len(r) // 2]:.1f}/{r[-1]:.1f}" if r else "-"
            return {"position": str(self.position), "quotes": quotes, "fills": self.fills,
                    "post_only_rejects": self.post_only_rejects, "reaction_ms_p50_max": react}


# ---------------------------------------------------------------------------------------------------------------
# The bot: startup, supervision, shutdown
# ---------------------------------------------------------------------------------------------------------------

class Bot:
    def __init__(self, cfg):
        self.cfg = cfg
        self.started = time.monotonic()
        self.stop_event = threading.Event()      # SIGTERM/SIGINT
        self.wake = threading.Event()            # main loop: something to do
        self.reconcile_pending = False
        self.startup_pending = True              # the first reconciliation also cancels leftovers
        self.fatal_reason = None
        self.crashed = False
        self.gate = RateGate()
        self.rest = RestClient(cfg.rest_url, cfg.api_key, cfg.api_secret, self.stop_event,
                               hammer_10006="ignore-10006" in cfg.breaks)
        self.quoter = None
        self.streams = []

    # -- signals and cross-thread requests
    def on_signal(self, signum, frame):
        if not self.stop_event.is_set():
            log.info("%s received: stopping", signal.Signals(signum).name)
        self.stop_event.set()
        self.wake.set()

    def request_reconcile(self):
        self.reconcile_pending = True
        self.wake.set()

    def fatal(self, reason):
        if self.fatal_reason is None:
            log.error("fatal: %s", reason)
            self.fatal_reason = reason
        self.wake.set()

    def on_thread_crash(self):
        self.crashed = True
        self.wake.set()

    # -- REST with retries, for the main thread (startup, reconciliation, shutdown)
    def _retrying(self, method, path, params, signed=True, deadline=None, quiet_codes=()):
        """Retries transport errors (100 ms doubling to 2 s), 10006 (the shared gate) and 10016 until it gets an
        answer, the deadline passes or we are stopping (startup/reconcile only). Returns the Reply or None."""
        backoff = Backoff(0.1, 2.0)
        give_up = (lambda: time.monotonic() > deadline) if deadline else self.stop_event.is_set
        while not give_up():
            wait = self.gate.try_acquire() if signed else 0
            if wait != 0:
                time.sleep(min(wait if wait is not None else 0.05, 0.5))
                continue
            try:
                reply = self.rest.call(method, path, params, signed=signed, give_up=give_up)
            except TransportError as e:
                self.gate.on_no_answer()
                delay = backoff.next()
                log.warning("%s %s failed (%s); retrying in %.0f ms", method, path, e, delay * 1000)
                time.sleep(delay)
                continue
            if reply.code == 10006:
                reset_in = max(0.0, (reply.reset_at_ms - self.rest.now_ms()) / 1000) if reply.reset_at_ms else None
                delay = self.gate.on_rate_limited(reset_in)
                log.warning("10006 rate limited on %s: waiting %.0f ms", path, delay * 1000)
                continue
            if signed:
                self.gate.on_answer()
            if reply.code in AUTH_ERRORS:
                raise FatalError(f"{path}: {reply.code} {reply.msg}")
            if reply.code == 10016:
                delay = backoff.next()
                log.warning("%s: 10016 server error; retrying in %.0f ms", path, delay * 1000)
                time.sleep(delay)
                continue
            if reply.code != 0 and reply.code not in quiet_codes:
                log.warning("%s answered %d %s", path, reply.code, reply.msg)
            return reply
        return None

    def get_retrying(self, path, params, signed=True):
        """GET until it succeeds (or we stop): the result dict, or None."""
        while not self.stop_event.is_set():
            reply = self._retrying("GET", path, params, signed=signed)
            if reply is None:
                return None
            if reply.ok:
                return reply.result
            time.sleep(0.5)
        return None

    def open_orders(self, deadline=None):
        """Every open order on the symbol (all pages), or None if we had to give up."""
        out, cursor = [], ""
        for _ in range(50):
            params = {"category": self.cfg.category, "symbol": self.cfg.symbol, "limit": "50"}
            if cursor:
                params["cursor"] = cursor
            if deadline:
                reply = self._retrying("GET", "/v5/order/realtime", params, deadline=deadline)
                result = reply.result if (reply is not None and reply.ok) else None
            else:
                result = self.get_retrying("/v5/order/realtime", params)
            if result is None:
                return None
            out.extend(result.get("list") or [])
            cursor = result.get("nextPageCursor") or ""
            if not cursor:
                break
        return out

    def cancel_order(self, d):
        reply = self._retrying("POST", "/v5/order/cancel",
                               {"category": self.cfg.category, "symbol": self.cfg.symbol, "orderId": d["orderId"]},
                               deadline=time.monotonic() + 5, quiet_codes=ORDER_GONE)
        if reply is not None and (reply.ok or reply.code in ORDER_GONE):
            log.info("cancelled %s %s %s @ %s", d.get("orderLinkId"), d.get("side"), d.get("qty"), d.get("price"))

    # -- startup
    def load_instrument(self):
        result = self.get_retrying("/v5/market/instruments-info",
                                   {"category": self.cfg.category, "symbol": self.cfg.symbol}, signed=False)
        if result is None:
            return None
        items = [i for i in result.get("list") or [] if i.get("symbol") == self.cfg.symbol]
        if not items:
            raise FatalError(f"the venue does not list {self.cfg.category} {self.cfg.symbol}")
        i = items[0]
        inst = Instrument(Decimal(i["priceFilter"]["tickSize"]), Decimal(i["lotSizeFilter"]["qtyStep"]),
                          Decimal(i["lotSizeFilter"]["minOrderQty"]))
        log.info("%s: tick %s, qty step %s, min qty %s; quoting %s at +/-%s bps, requote at %s bps, position "
                 "limit %s", self.cfg.symbol, inst.tick, inst.qty_step, inst.min_qty, self.cfg.qty,
                 self.cfg.half_spread_bps, self.cfg.requote_bps, self.cfg.position_limit)
        return inst

    def check_credentials(self):
        info = self.get_retrying("/v5/user/query-api", {})
        if info is not None:
            if str(info.get("readOnly")) == "1":
                raise FatalError("the API key is read-only: it cannot place orders")
            log.info("API key accepted (uid %s)", info.get("userID", "?"))

    def sync_clock(self):
        backoff = Backoff(0.1, 2.0)
        while not self.stop_event.is_set():
            try:
                self.rest.sync_clock()
                return
            except TransportError as e:
                delay = backoff.next()
                log.warning("clock sync failed (%s); retrying in %.0f ms", e, delay * 1000)
                self.stop_event.wait(delay)

    def run(self):
        try:
            self._start_and_supervise()
        except FatalError as e:
            self.fatal(str(e))
        except Exception:
            # A bug. Cancel what we can, then let the traceback out: the process exits non-zero.
            self.crashed = True
            log.error("unhandled exception in the main thread; cancelling orders before exiting")
            try:
                self.shutdown()
            except Exception:
                log.exception("shutdown after the crash failed too")
            raise
        return self.shutdown()

    def _start_and_supervise(self):
        if self.cfg.breaks:
            log.warning("running broken on purpose: --break %s", " --break ".join(sorted(self.cfg.breaks)))
        self.sync_clock()
        inst = self.load_instrument() if not self.stop_event.is_set() else None
        if inst is not None and not self.stop_event.is_set():
            # One signed call before anything else: wrong keys or a read-only key fail here, clearly (exit 2),
            # instead of as an endless private-stream auth retry.
            self.check_credentials()
        if inst is not None and not self.stop_event.is_set():
            self.quoter = Quoter(self.cfg, inst, self.rest, self.gate, self)
            log.info("orderLinkIds: %s%s-<B|S><n> (seed %d)", LINK_PREFIX, self.quoter.run_id, self.cfg.seed)
            no_reconnect = "no-reconnect" in self.cfg.breaks
            self.streams = [PublicStream(self.cfg.ws_public_url, self.cfg.symbol, self.quoter, no_reconnect),
                            PrivateStream(self.cfg.ws_private_url, self.cfg, self.rest, self.quoter, no_reconnect)]
            for s in self.streams:
                s.start()
            self.quoter.start_workers()
            self._supervise()

    def _supervise(self):
        next_stats = time.monotonic() + 5
        while True:
            self.wake.wait(0.5)
            self.wake.clear()
            if self.stop_event.is_set() or self.fatal_reason or self.crashed:
                return
            if self.reconcile_pending:
                self.reconcile_pending = False
                if self.quoter.reconcile(self.startup_pending):
                    self.startup_pending = False
            if time.monotonic() >= next_stats:
                next_stats += 5
                self.log_stats()

    def log_stats(self):
        q = self.quoter.snapshot() if self.quoter else {}
        req, codes = self.rest.stats()
        log.info("stats: position %s, quotes %s, fills %d, requests %d (create %d, amend %d, cancel %d), 10006 %d, "
                 "post-only rejects %d, ws connects public %d private %d, reaction p50/max %s ms",
                 q.get("position"), q.get("quotes"), q.get("fills", 0), sum(req.values()), req["/v5/order/create"],
                 req["/v5/order/amend"], req["/v5/order/cancel"], codes[10006],
                 q.get("post_only_rejects", 0), *(s.connects for s in self.streams), q.get("reaction_ms_p50_max"))

    # -- shutdown
    def shutdown(self):
        if "no-cancel-on-exit" in self.cfg.breaks and self.stop_event.is_set():
            log.warning("exiting at once without cancelling orders (--break no-cancel-on-exit)")
            logging.shutdown()
            os._exit(0)
        if self.quoter is not None:
            self.quoter.stop_workers(timeout=2.0)   # a request in flight finishes (or times out) first
        ok = True
        if self.quoter is not None:
            try:
                ok = self.cancel_all_and_confirm(deadline=time.monotonic() + 6.0)
            except FatalError as e:
                log.error("cannot cancel on exit: %s", e)
                ok = False
        for s in self.streams:
            s.stop()
        for s in self.streams:
            s.join(1.0)
        if self.quoter is not None:
            self.log_stats()
        self.write_summary(ok)
        if self.crashed:
            log.error("exiting after an unhandled exception (traceback above)")
            return 1
        if self.fatal_reason:
            return 2
        return 0 if ok else 1

    def cancel_all_and_confirm(self, deadline):
        """cancel-all for the symbol, then read /v5/order/realtime until none of ours is left (a create that was in
        flight during the cancel-all can still land: then cancel again)."""
        params = {"category": self.cfg.category, "symbol": self.cfg.symbol}
        for attempt in range(1, 6):
            reply = self._retrying("POST", "/v5/order/cancel-all", params, deadline=deadline)
            if reply is not None and reply.ok:
                log.info("cancel-all: %d order(s) cancelled", len(reply.result.get("list") or []))
            orders = self.open_orders(deadline=deadline)
            if orders is not None:
                left = [d for d in orders if (d.get("orderLinkId") or "").startswith(LINK_PREFIX)]
                if not left:
                    log.info("confirmed: no open orders of ours remain")
                    return True
                log.warning("%d order(s) of ours still open after cancel-all (attempt %d)", len(left), attempt)
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        log.error("could not confirm that all our orders are cancelled")
        return False

    def write_summary(self, cancelled):
        """A small JSON summary in MMBENCH_RUN_DIR, for whoever reads the run afterwards."""
        summary = {"bot": "pymm", "runId": self.quoter.run_id if self.quoter else None,
                   "cancelledOnExit": cancelled, "breaks": sorted(self.cfg.breaks),
                   "requests": dict(self.rest.stats()[0]),
                   "retCodes": {str(k): v for k, v in self.rest.stats()[1].items()},
                   "uptimeS": round(time.monotonic() - self.started, 3)}
        if self.quoter:
            summary.update(self.quoter.snapshot())
        try:
            with open(os.path.join(self.cfg.run_dir, "pymm-summary.json"), "w") as f:
                json.dump(summary, f, indent=2)
        except OSError as e:
            log.warning("could not write the run summary: %s", e)


# ---------------------------------------------------------------------------------------------------------------

def _accept_restart_close_codes(module):
    """websocket-client < 1.3 (Debian's 1.2.3) treats close codes 1012 (service restart) and 1013 (try again later)
    as a protocol error, so a venue restart would be logged as an abnormal 1006. Newer versions accept them."""
    abnf = getattr(module, "_abnf", None)
    valid = getattr(abnf, "VALID_CLOSE_STATUS", None)
    if isinstance(valid, tuple):
        abnf.VALID_CLOSE_STATUS = valid + tuple(c for c in (1012, 1013, 1014) if c not in valid)


def load_websocket():
    """websocket-client as Debian packages it (python3-websocket). A pyenv/venv python does not see Debian's
    dist-packages, so fall back to that directory before giving up."""
    global websocket
    for attempt in (0, 1):
        try:
            import websocket as module
            if hasattr(module, "create_connection"):
                websocket = module
                _accept_restart_close_codes(module)
                return
            sys.modules.pop("websocket", None)   # some other package named "websocket"
        except ImportError:
            pass
        if attempt == 0:
            sys.path.append("/usr/lib/python3/dist-packages")
    print("pymm: the websocket-client module is missing: install the Debian package python3-websocket "
          "(apt-get install python3-websocket)", file=sys.stderr)
    sys.exit(2)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cfg = load_config(os.environ, args.breaks)
    except ConfigError as e:
        print(f"pymm: {e}", file=sys.stderr)
        return 2
    load_websocket()
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s.%(msecs)03d %(levelname)s [%(threadName)s] %(message)s",
                        datefmt="%H:%M:%S")
    bot = Bot(cfg)
    signal.signal(signal.SIGTERM, bot.on_signal)
    signal.signal(signal.SIGINT, bot.on_signal)

    default_hook = threading.excepthook

    def thread_crash(hook_args):
        default_hook(hook_args)   # the usual traceback on stderr
        bot.on_thread_crash()

    threading.excepthook = thread_crash
    return bot.run()


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    sys.exit(code)
