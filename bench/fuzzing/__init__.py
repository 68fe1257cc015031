"""Fuzzing the ELMO reader and the EMC's return endpoint (``bench/fuzz.py``; a short run in tests/fuzz)."""
