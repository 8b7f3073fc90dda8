"""Side-by-side benchmarks of aioproton and its peers on the local Proton emulator.

``python benchmarks/run.py`` (or ``python -m benchmarks``) starts one emulator process,
fills it, drives every client against it in the same run and prints one table of
ratios; ``--quick`` is the small version the test suite runs so the harness never rots.
Figures from different runs or machines are not comparable: only the ratios of one run
are.
"""
