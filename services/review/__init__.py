"""The review workflows: intake of submissions, extract and record, uploads and batches, the
review queue and corrections, the review desk's drafts, exports, figures and app settings.

Each operation opens its own unit of work over the repositories in `db/`.
"""
