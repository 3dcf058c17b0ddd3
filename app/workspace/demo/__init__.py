"""The demo's evaluated challenge (``portal demo``), made through the web's use cases."""
