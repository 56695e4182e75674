"""Plain Python, no Streamlit: one folder per layer (see the README's "How the parts fit")."""
