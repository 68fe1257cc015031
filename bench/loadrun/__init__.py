"""The load run with faults (``bench/load.py``): services as subprocesses on PostgreSQL, simulated
students."""
