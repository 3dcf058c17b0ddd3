"""Proposals: drafts, consortia, documents, sealed versions with receipts."""
