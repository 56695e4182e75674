"""Streamlit pages of the review app (run through `app.py`'s navigation, never on their own)."""
