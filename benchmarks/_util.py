"""Small helpers shared by the benchmark scripts: timing and plain-text tables."""
import time


def best_time(fn, repeat: int = 3) -> float:
    """Best wall time of `repeat` calls (after one warm-up call), in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def print_table(headers, rows) -> None:
    widths = [max(len(str(h)), *(len(str(r[k])) for r in rows)) for k, h in enumerate(headers)]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))
