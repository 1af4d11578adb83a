"""sites core. No Qt here."""
