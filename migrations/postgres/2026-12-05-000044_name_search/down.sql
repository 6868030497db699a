DROP INDEX persons_name_trgm;
