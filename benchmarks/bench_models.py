"""Generator models: generation latency, size, and cold load time.

For each shipped checkpoint: parameters, file size, the time to load it (first call, cold),
and the median time to generate eight bars of 4/4 (warm), with the theory baseline's
function beside it. ``python -m benchmarks models``.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from benchmarks.timing import median_seconds, table


def _calls():
    from orchestria_lab.models import generate
    from orchestria_lab.music.theory import parse_key

    key = parse_key("Am")
    progression = generate.chords(key=key, genre="pop", time_signature="4/4", bars=8, rng=np.random.default_rng(0))
    kicks = [float(b) for b in range(0, 32, 2)]
    return {
        "harmony": lambda: generate.chords(key=key, genre="pop", time_signature="4/4", bars=8, rng=np.random.default_rng(1)),
        "melody": lambda: generate.melody(key=key, genre="pop", time_signature="4/4", bars=8, chords=progression,
                                          low=60, high=84, rng=np.random.default_rng(1)),
        "bass": lambda: generate.bass(key=key, genre="pop", time_signature="4/4", bars=8, chords=progression,
                                      kick_beats=kicks, low=28, high=52, rng=np.random.default_rng(1)),
        "drums": lambda: generate.drums(genre="pop", time_signature="4/4", bars=8, rng=np.random.default_rng(1)),
    }


def main() -> None:
    from orchestria_lab.models import generate

    torch.set_num_threads(1)
    rows = []
    missing = [n for n in generate.GENERATORS if not generate.available(n)]
    if missing:
        print(f"No checkpoint for {', '.join(missing)}: run `orchestria train all`.")
        return
    for name in generate.GENERATORS:
        t0 = time.perf_counter()
        generate.model(name)
        load_s = time.perf_counter() - t0
        stepper = generate.model(name)
        params = sum(p.numel() for p in stepper.model.parameters())
        rows.append([name, params, f"{generate.checkpoint_path(name).stat().st_size / 1e6:.2f} MB",
                     f"{load_s * 1000:.0f} ms"])
    calls = _calls()
    for row in rows:
        row.append(f"{median_seconds(calls[row[0]], repeat=7) * 1000:.1f} ms")
    print(table(["generator", "parameters", "checkpoint", "cold load", "8 bars of 4/4 (median)"], rows))


if __name__ == "__main__":
    main()
