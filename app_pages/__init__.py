"""Streamlit pages of the Enforcement Intel dashboard; app.py at the repository root builds the navigation."""
