"""The nightly campaign's parts (driven by scripts/campaign.py).

Each module is one concept: the time split (split), libFuzzer slices
(fuzz), weft explore slices (explore), the sweeps (sweeps), failure
signatures (signature), the progress line (progress), the machine outputs
(outputs, junit) and the page (page, svg). Python 3 standard library only.
"""
