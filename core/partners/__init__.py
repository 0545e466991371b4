"""Partners (companies and individuals, prospects and customers) and their contacts."""
