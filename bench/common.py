"""Timing helpers shared by the benchmarks: best-of and median of repeated runs."""

import statistics
import time


def timed(fn, repeat=5):
    """Median wall time of `repeat` calls, in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def table(headers, rows):
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def side_by_side(functions, rounds=9, sample=0.02):
    """Median time per call of each function, measured in interleaved rounds.

    Each round times every function once, in a rotating order, over enough calls to fill
    `sample` seconds; a burst of load on the machine then hits all of them alike instead of
    whichever happened to run at that moment.
    """
    counts = []
    for fn in functions:
        fn()                                          # warm-up (caches, first-call checks)
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        counts.append(max(1, int(sample / max(once, 1e-7))))
    times = [[] for _ in functions]
    for r in range(rounds):
        order = list(range(len(functions)))
        order = order[r % len(order):] + order[:r % len(order)]
        for i in order:
            fn, count = functions[i], counts[i]
            start = time.perf_counter()
            for _ in range(count):
                fn()
            times[i].append((time.perf_counter() - start) / count)
    return [statistics.median(t) for t in times]
