-- Name search by any part of a name without diacritics ("hoa" finds "Nguyễn Thị Hòa"):
-- an FTS5 index of trigrams over persons.name_folded, kept by triggers. It holds no copy of
-- the names (content='persons'), only the index, and a purge's erasure reaches it through
-- the update trigger. Rows are keyed by persons' rowid: a VACUUM can renumber those, after
-- which `INSERT INTO person_names(person_names) VALUES ('rebuild')` rebuilds the index.
CREATE VIRTUAL TABLE person_names USING fts5(
    name_folded,
    content = 'persons',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
INSERT INTO person_names (rowid, name_folded) SELECT rowid, name_folded FROM persons;
CREATE TRIGGER persons_names_insert AFTER INSERT ON persons BEGIN
    INSERT INTO person_names (rowid, name_folded) VALUES (new.rowid, new.name_folded);
END;
CREATE TRIGGER persons_names_delete AFTER DELETE ON persons BEGIN
    INSERT INTO person_names (person_names, rowid, name_folded)
    VALUES ('delete', old.rowid, old.name_folded);
END;
CREATE TRIGGER persons_names_update AFTER UPDATE OF name_folded ON persons BEGIN
    INSERT INTO person_names (person_names, rowid, name_folded)
    VALUES ('delete', old.rowid, old.name_folded);
    INSERT INTO person_names (rowid, name_folded) VALUES (new.rowid, new.name_folded);
END;
