"""compat core. No Qt here."""
