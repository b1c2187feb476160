"""The Textual dashboard. It reaches the engine only through a thread worker and messages (see app.py)."""
