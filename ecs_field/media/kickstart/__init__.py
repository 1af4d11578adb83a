"""Unattended ESXi install: host settings, the ks.cfg text, SHA-512 crypt, and ks.cfg validation.

The writer (``write --kickstart``) calls ``validate.check_kickstart_file`` before the stick is
touched; the ``kickstart`` command and the GUI build files with ``model`` and ``render``.
"""
