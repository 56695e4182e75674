"""Background extraction: the task queue (`queue`), the Huey tasks that run the "extract and
record" workflow (`jobs`), and the worker command (`worker`, a door).

Import `services.tasks.jobs` for the Huey tasks; this package itself stays free of side effects.
"""
