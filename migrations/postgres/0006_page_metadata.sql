-- A page's title and URL as a moderator set them: once set, readers' posts no longer change them.
ALTER TABLE pages ADD COLUMN metadata_locked boolean NOT NULL DEFAULT false;
