-- Name search by any part of a name without diacritics ("hoa" finds "Nguyễn Thị Hòa"): a
-- trigram index that serves `name_folded LIKE '%…%'`. pg_trgm is a trusted extension: the
-- owner of the database may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX persons_name_trgm ON persons USING gin (name_folded gin_trgm_ops);
