DROP TABLE lookups;
DROP TABLE messages;
DROP TABLE dossiers;
