"""Thulium REST API + webhook simulator (stand-in for https://<tenant>.thulium.com/api/).

Run with ``python -m simulator --help``. See simulator/README.md.
"""
