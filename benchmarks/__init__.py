"""Side-by-side benchmarks of aioproton and its peers, as paired ratios to aiobotocore.

``python benchmarks/run.py`` (or ``python -m benchmarks``) starts the emulator and a
canned-answer server, measures every client in fresh processes, each right next to an
aiobotocore run, and prints one table of median ratios with their spread over rounds;
``--quick`` is the small version the test suite runs so the harness never rots.
Figures from different runs or machines are not comparable: only the ratios of one run
are.
"""
