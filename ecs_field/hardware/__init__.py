"""Hardware inventory: what a box has, from a local probe or imported dumps. No Qt here."""
