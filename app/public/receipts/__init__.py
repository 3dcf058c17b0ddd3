"""Receipt verification for anyone holding a receipt code."""
