import threading

import time_machine
from django.test import SimpleTestCase, override_settings

from newsroom import ratelimit

T0 = 1_800_000_000  # a multiple of 3600 and 60: windows start here


class FixedWindowTests(SimpleTestCase):
    def test_it_allows_up_to_the_limit_then_refuses(self):
        with time_machine.travel(T0 + 10, tick=False):
            results = [ratelimit.hit("k", 3, 60) for _ in range(5)]
        self.assertEqual([allowed for allowed, _ in results], [True] * 3 + [False] * 2)

    def test_retry_after_is_the_rest_of_the_window(self):
        with time_machine.travel(T0 + 15, tick=False):
            ratelimit.hit("k", 1, 60)
            self.assertEqual(ratelimit.hit("k", 1, 60), (False, 45))

    def test_the_count_starts_again_in_the_next_window(self):
        with time_machine.travel(T0 + 59, tick=False):
            ratelimit.hit("k", 1, 60)
            allowed, retry_after = ratelimit.hit("k", 1, 60)
            self.assertFalse(allowed)
        with time_machine.travel(T0 + 59 + retry_after, tick=False):
            self.assertEqual(ratelimit.hit("k", 1, 60), (True, 0))

    def test_keys_are_counted_separately_and_may_hold_any_text(self):
        with time_machine.travel(T0, tick=False):
            self.assertTrue(ratelimit.hit("signup:Ann@Example.com ✓", 1, 60)[0])
            self.assertTrue(ratelimit.hit("signup:bob@example.com", 1, 60)[0])
            self.assertFalse(ratelimit.hit("signup:Ann@Example.com ✓", 1, 60)[0])

    def test_reset_forgets_a_key(self):
        with time_machine.travel(T0, tick=False):
            ratelimit.hit("k", 1, 60)
            ratelimit.reset("k", 60)
            self.assertTrue(ratelimit.hit("k", 1, 60)[0])

    def test_undo_takes_back_one_event_but_not_below_zero(self):
        with time_machine.travel(T0, tick=False):
            ratelimit.hit("k", 1, 60)
            ratelimit.undo("k", 60)
            ratelimit.undo("k", 60)
            self.assertTrue(ratelimit.hit("k", 1, 60)[0])
            self.assertFalse(ratelimit.hit("k", 1, 60)[0])

    def test_concurrent_hits_never_exceed_the_limit(self):
        allowed = []
        barrier = threading.Barrier(20)

        def worker():
            barrier.wait()
            for _ in range(10):
                allowed.append(ratelimit.hit("race", 50, 3600)[0])

        with time_machine.travel(T0 + 1, tick=False):
            threads = [threading.Thread(target=worker) for _ in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(len(allowed), 200)
        self.assertEqual(sum(allowed), 50)


class SlidingWindowTests(SimpleTestCase):
    def test_the_previous_window_still_counts_in_proportion(self):
        with time_machine.travel(T0 + 50, tick=False):
            for _ in range(10):
                ratelimit.hit("s", 10, 60, sliding=True)
        # 15 s into the next window, 45/60 of the previous 10 (7.5) still
        # count: two more events fit under 10, a third does not.
        with time_machine.travel(T0 + 75, tick=False):
            results = [ratelimit.hit("s", 10, 60, sliding=True)[0] for _ in range(3)]
        self.assertEqual(results, [True, True, False])

    def test_a_burst_across_the_window_edge_is_refused(self):
        # A fixed window lets 10 at :59 and 10 at :00 through; sliding does not.
        with time_machine.travel(T0 + 59, tick=False):
            first = [ratelimit.hit("edge", 10, 60, sliding=True)[0] for _ in range(10)]
        with time_machine.travel(T0 + 60, tick=False):
            second = [ratelimit.hit("edge", 10, 60, sliding=True)[0] for _ in range(10)]
        self.assertEqual(sum(first), 10)
        self.assertEqual(sum(second), 0)

    def test_waiting_retry_after_is_enough_and_not_more_than_needed(self):
        # (seconds into a window, events then, seconds into the next, events then)
        histories = [(30, 5, None, 0), (5, 12, None, 0), (50, 4, 10, 3), (2, 9, 1, 1)]
        for history in histories:
            with self.subTest(history=history):
                key = f"wait-{history}"
                allowed, retry_after = self.replay(key, *history)
                self.assertFalse(allowed)
                last = T0 + (60 + history[2] if history[2] is not None else history[0])
                # Replayed on fresh keys so that probing does not count.
                self.replay(key + "-early", *history)
                with time_machine.travel(last + retry_after - 1, tick=False):
                    early = ratelimit.hit(key + "-early", 4, 60, sliding=True)[0]
                self.replay(key + "-on-time", *history)
                with time_machine.travel(last + retry_after, tick=False):
                    on_time = ratelimit.hit(key + "-on-time", 4, 60, sliding=True)[0]
                self.assertEqual((early, on_time), (False, True))

    @staticmethod
    def replay(key, first_at, first_hits, second_at, second_hits):
        result = None
        with time_machine.travel(T0 + first_at, tick=False):
            for _ in range(first_hits):
                result = ratelimit.hit(key, 4, 60, sliding=True)
        if second_at is not None:
            with time_machine.travel(T0 + 60 + second_at, tick=False):
                for _ in range(second_hits):
                    result = ratelimit.hit(key, 4, 60, sliding=True)
        return result


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
)
class WithoutACacheTests(SimpleTestCase):
    def test_nothing_is_limited_when_the_cache_keeps_nothing(self):
        self.assertTrue(all(ratelimit.hit("k", 1, 60)[0] for _ in range(3)))
