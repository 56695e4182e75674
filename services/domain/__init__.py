"""The domain: what a certificate and a record are, with no I/O and no database.

The seed API's schema, extraction results, canonical values, the record rules (normalising,
checks, derived fields, addresses, Vietnamese text), the reference data, and the vocabulary of
records and people that the workflows and the storage share. Everything else imports from here;
this package imports nothing of the project outside itself.
"""
