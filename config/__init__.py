"""Default settings of Comptoir (see default.py) and the gunicorn configuration."""
