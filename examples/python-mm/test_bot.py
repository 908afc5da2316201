"""Unit tests for pymm's pure helpers: python3 -m unittest (from this directory) or
python3 -m unittest discover -s examples/python-mm (from the repository root). No venue, no network."""

import os
import sys
import unittest
from decimal import Decimal as D

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bot  # noqa: E402


class Signing(unittest.TestCase):
    # Expected values computed independently: echo -n '<pre-sign>' | openssl dgst -sha256 -hmac test-secret
    def test_rest_get_signature_over_the_raw_query(self):
        sig = bot.sign_rest("test-secret", 1658384314791, "XXXXXXXXXX", 5000,
                            "category=option&symbol=BTC-29JUL22-25000-C")
        self.assertEqual(sig, "236d8f7132d3e4c8bad803010e296f3d07211356e54c01455b26c8229a682297")

    def test_rest_post_signature_over_the_raw_body(self):
        sig = bot.sign_rest("test-secret", 1658385579423, "XXXXXXXXXX", 5000, '{"category": "option"}')
        self.assertEqual(sig, "17a6bfe3e7a2aa41dffd3f16bfa0febb8b18ff79bb33de625705dc86876feffe")

    def test_ws_auth_signature(self):
        self.assertEqual(bot.sign_ws_auth("test-secret", 1662350400000),
                         "f072aab6fa18cd774da998325df6cfc87c3ccf10d5722e6b43b570c5feaf6172")


class Rounding(unittest.TestCase):
    def test_floor_and_ceil_to_tick(self):
        tick = D("0.10")
        self.assertEqual(bot.floor_to_step(D("60000.19"), tick), D("60000.10"))
        self.assertEqual(bot.ceil_to_step(D("60000.11"), tick), D("60000.20"))
        self.assertEqual(bot.floor_to_step(D("60000.20"), tick), D("60000.20"))   # on the grid: unchanged
        self.assertEqual(bot.ceil_to_step(D("60000.20"), tick), D("60000.20"))

    def test_odd_tick(self):
        self.assertEqual(bot.floor_to_step(D("1.2374"), D("0.0005")), D("1.2370"))
        self.assertEqual(bot.ceil_to_step(D("1.2371"), D("0.0005")), D("1.2375"))

    def test_fmt_is_fixed_point_on_the_grid(self):
        self.assertEqual(bot.fmt(D("1E+1") * D("0.001"), D("0.001")), "0.010")
        self.assertEqual(bot.fmt(D("6E+4"), D("0.10")), "60000.00")


class DesiredQuotes(unittest.TestCase):
    tick = D("0.10")

    def test_mid_plus_minus_half_spread_rounded_outwards(self):
        # mid 60000.05, 4 bps = 24.00002 -> bid 59976.04998 -> 59976.00, ask 60024.05002 -> 60024.10
        bid, ask = bot.desired_quotes(D("60000.00"), D("60000.10"), self.tick, D(4))
        self.assertEqual((bid, ask), (D("59976.00"), D("60024.10")))

    def test_bump_moves_each_side_further_away(self):
        bid, ask = bot.desired_quotes(D("60000.00"), D("60000.10"), self.tick, D(4), bid_bump=2, ask_bump=1)
        self.assertEqual((bid, ask), (D("59975.80"), D("60024.20")))

    def test_zero_half_spread_never_crosses(self):
        bid, ask = bot.desired_quotes(D("60000.00"), D("60000.10"), self.tick, D(0))
        self.assertLess(bid, D("60000.10"))
        self.assertGreater(ask, D("60000.00"))

    def test_clamped_inside_a_wide_touch_never_crosses(self):
        # a one-tick book and a bump that would push past the other side are clamped to touch -/+ 1 tick
        bid, ask = bot.desired_quotes(D("100.0"), D("100.1"), self.tick, D(0), bid_bump=-5, ask_bump=-5)
        self.assertEqual((bid, ask), (D("100.0"), D("100.1")))

    def test_always_on_the_tick_grid(self):
        for bb in ("59999.90", "60000.00", "60000.30", "61234.50"):
            bid, ask = bot.desired_quotes(D(bb), D(bb) + D("0.30"), self.tick, D("3.3"))
            self.assertEqual(bid % self.tick, 0)
            self.assertEqual(ask % self.tick, 0)
            self.assertLess(bid, D(bb) + D("0.30"))
            self.assertGreater(ask, D(bb))


class PositionLimit(unittest.TestCase):
    step, min_qty, limit = D("0.001"), D("0.001"), D("0.1")

    def qty(self, side, pos, base="0.01"):
        return bot.side_qty(side, D(base), D(pos), self.limit, self.step, self.min_qty)

    def test_flat_quotes_full_size_both_sides(self):
        self.assertEqual(self.qty("Buy", "0"), D("0.01"))
        self.assertEqual(self.qty("Sell", "0"), D("0.01"))

    def test_near_the_long_limit_the_buy_shrinks_then_stops(self):
        self.assertEqual(self.qty("Buy", "0.095"), D("0.005"))
        self.assertIsNone(self.qty("Buy", "0.1"))
        self.assertIsNone(self.qty("Buy", "0.12"))
        self.assertEqual(self.qty("Sell", "0.1"), D("0.01"))   # the reducing side keeps quoting

    def test_near_the_short_limit_the_sell_stops(self):
        self.assertIsNone(self.qty("Sell", "-0.1"))
        self.assertEqual(self.qty("Sell", "-0.0995"), None)    # 0.0005 left < min qty 0.001
        self.assertEqual(self.qty("Buy", "-0.1"), D("0.01"))

    def test_size_below_min_qty_is_none(self):
        self.assertIsNone(self.qty("Buy", "0", base="0.0004"))


class Requote(unittest.TestCase):
    def test_threshold_in_bps_of_mid(self):
        mid = D("60000")
        # 0.5 bps of 60000 = 3.0
        self.assertFalse(bot.needs_requote(D("60000.0"), D("60002.9"), mid, D("0.5")))
        self.assertTrue(bot.needs_requote(D("60000.0"), D("60003.0"), mid, D("0.5")))
        self.assertTrue(bot.needs_requote(D("60000.0"), D("59996.0"), mid, D("0.5")))

    def test_zero_threshold_requotes_any_change_but_not_the_same_price(self):
        mid = D("60000")
        self.assertTrue(bot.needs_requote(D("60000.0"), D("60000.1"), mid, D("0")))
        self.assertFalse(bot.needs_requote(D("60000.0"), D("60000.0"), mid, D("0")))


class Ids(unittest.TestCase):
    def test_link_ids_are_unique_short_and_valid(self):
        run = bot.new_run_id(1, "salt")
        links = {bot.make_link_id(run, side, n) for side in ("Buy", "Sell") for n in range(1, 1000)}
        self.assertEqual(len(links), 2 * 999)
        big = bot.make_link_id(run, "Sell", 10 ** 12)
        self.assertLessEqual(len(big), 36)
        for link in links | {big}:
            self.assertTrue(link.startswith(bot.LINK_PREFIX))
            self.assertRegex(link, r"^[0-9A-Za-z_-]{1,36}$")

    def test_run_id_depends_on_seed_and_salt(self):
        self.assertEqual(bot.new_run_id(7, "a"), bot.new_run_id(7, "a"))
        self.assertNotEqual(bot.new_run_id(7, "a"), bot.new_run_id(7, "b"))
        self.assertNotEqual(bot.new_run_id(7, "a"), bot.new_run_id(8, "a"))


class Misc(unittest.TestCase):
    def test_close_code(self):
        self.assertEqual(bot.parse_close_code(b"\x03\xf4restart"), 1012)
        self.assertEqual(bot.parse_close_code(b""), 1005)

    def test_signed_position(self):
        self.assertEqual(bot.signed_position("0.020", "Sell"), D("-0.020"))
        self.assertEqual(bot.signed_position("0.020", "Buy"), D("0.020"))
        self.assertEqual(bot.signed_position("0", ""), D("0"))

    def test_backoff_doubles_to_the_cap_and_resets(self):
        b = bot.Backoff(0.1, 2.0)
        self.assertEqual([round(b.next(), 3) for _ in range(7)], [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])
        b.reset()
        self.assertEqual(b.next(), 0.1)


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class RateGateTest(unittest.TestCase):
    def test_backoff_doubles_honours_the_reset_header_and_resets_on_success(self):
        clock = FakeClock()
        g = bot.RateGate(base=0.2, cap=5.0, clock=clock)
        self.assertEqual(g.try_acquire(), 0)
        self.assertAlmostEqual(g.on_rate_limited(), 0.2)
        self.assertAlmostEqual(g.try_acquire(), 0.2)        # closed
        clock.t += 0.2
        self.assertEqual(g.try_acquire(), 0)                # one probe goes...
        self.assertIsNone(g.try_acquire())                  # ...the other side waits for its answer
        self.assertAlmostEqual(g.on_rate_limited(), 0.4)    # doubled
        clock.t += 0.4
        g.try_acquire()
        self.assertAlmostEqual(g.on_rate_limited(reset_in_s=1.0), 1.0)   # the venue's reset time wins
        for _ in range(10):
            clock.t += 10
            g.try_acquire()
            delay = g.on_rate_limited()
        self.assertEqual(delay, 5.0)                        # capped
        clock.t += 5
        self.assertEqual(g.try_acquire(), 0)
        g.on_answer()
        self.assertEqual(g.try_acquire(), 0)                # open: no probing any more
        self.assertEqual(g.try_acquire(), 0)
        self.assertAlmostEqual(g.on_rate_limited(), 0.2)    # reset to the base

    def test_a_far_reset_header_is_capped(self):
        g = bot.RateGate(base=0.2, cap=5.0, clock=FakeClock())
        self.assertEqual(g.on_rate_limited(reset_in_s=3600), 5.0)


class ConfigTest(unittest.TestCase):
    env = {
        "MMBENCH_REST_URL": "http://127.0.0.1:1/", "MMBENCH_WS_PUBLIC_URL": "ws://127.0.0.1:2/v5/public/linear",
        "MMBENCH_WS_PRIVATE_URL": "ws://127.0.0.1:3/v5/private", "MMBENCH_API_KEY": "k", "MMBENCH_API_SECRET": "s",
        "MMBENCH_SYMBOL": "BTCUSDT", "MMBENCH_CATEGORY": "linear", "MMBENCH_RUN_DIR": "/tmp",
        "MMBENCH_POSITION_LIMIT": "0.1", "MMBENCH_SEED": "1",
    }

    def test_defaults(self):
        cfg = bot.load_config(dict(self.env))
        self.assertEqual(cfg.rest_url, "http://127.0.0.1:1")
        self.assertEqual((cfg.qty, cfg.half_spread_bps, cfg.requote_bps), (D("0.01"), D(4), D("1")))
        self.assertEqual(cfg.position_limit, D("0.1"))

    def test_knobs(self):
        cfg = bot.load_config(dict(self.env, PYMM_QTY="0.002", PYMM_HALF_SPREAD_BPS="2.5", PYMM_REQUOTE_BPS="0.5"))
        self.assertEqual((cfg.qty, cfg.half_spread_bps, cfg.requote_bps), (D("0.002"), D("2.5"), D("0.5")))

    def test_missing_variable_is_named(self):
        env = dict(self.env)
        del env["MMBENCH_API_SECRET"]
        with self.assertRaisesRegex(bot.ConfigError, "MMBENCH_API_SECRET"):
            bot.load_config(env)

    def test_bad_numbers(self):
        for name, value in (("MMBENCH_SEED", "x"), ("MMBENCH_POSITION_LIMIT", "-1"), ("PYMM_QTY", "0"),
                            ("PYMM_QTY", "nan")):
            with self.assertRaises(bot.ConfigError, msg=f"{name}={value}"):
                bot.load_config(dict(self.env, **{name: value}))

    def test_break_flags(self):
        args = bot.parse_args(["--break", "no-cancel-on-exit", "--break", "slow-requote"])
        self.assertEqual(args.breaks, ["no-cancel-on-exit", "slow-requote"])
        with open(os.devnull, "w") as devnull:
            stderr, sys.stderr = sys.stderr, devnull
            try:
                with self.assertRaises(SystemExit) as cm:
                    bot.parse_args(["--break", "nonsense"])
            finally:
                sys.stderr = stderr
        self.assertEqual(cm.exception.code, 2)


if __name__ == "__main__":
    unittest.main()
