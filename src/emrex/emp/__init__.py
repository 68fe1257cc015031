"""The EMREX data provider (EMP): protocol endpoints, login, results sources, selection, preview.

``emrex.emp.app.create_emp_app(settings, database=..., source=..., signer=...)`` builds the ASGI app
of one EMP from ``emrex.emp.config.EmpSettings`` (``load_settings(path, environ)``). The parts:
``service`` (``EmpService``, what the pages share), ``student`` and ``staff`` (the routers of pages),
``flows`` (opening and ending a provider session), ``protocol`` (the EMREX request and reply),
``store`` (provider sessions and statistics records), ``selection`` (what is offered and what a pick
sends), ``document`` (ELMO, PDF, signature, transport form), ``stats``, ``runtime`` (key and source
loading), ``server`` (the uvicorn factory). The built-in SIS is ``emrex.sis``. Operators read
docs/EMP.md. This package imports nothing heavy.
"""
