"""The built-in student information system: what an EMP without a SIS of its own serves.

``tables`` (the ``sis_*`` tables), ``format`` (the JSON import format, docs/SIS-IMPORT.md, checked
into typed data with the helpers of ``checks``), ``importer`` (writing a checked import, all or
nothing) and ``source`` (the results source the EMP reads them through, ``source.type = "sql"``).
``emrex emp import`` is the command-line face of the importer.
"""
