"""Background extraction: the job (`extraction`), its queue (`queue`, `jobs`) and the worker CLI.

Import `services.tasks.jobs` for the Huey tasks; this package itself stays free of side effects.
"""
