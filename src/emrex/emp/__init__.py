"""The EMREX data provider (EMP): protocol endpoints, login, results sources, selection, preview."""
