"""Accounts: users of the review app (sign-in, roles, lock-out), API keys, password hashing."""
