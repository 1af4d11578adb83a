"""Boot media: drives, safety rules, image inspection, stick synthesis and the writer. No Qt here."""
