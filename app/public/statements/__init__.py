"""The statements the law and habit ask for (privacy, accessibility, contact and help, cookies), per language,
kept in the database so administrators change their text without a code change."""
